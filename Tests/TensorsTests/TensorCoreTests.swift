import Foundation
import ReelflowTestSupport
import Testing
@testable import Tensors
import TensorsTestSupport

/// The tensor model: dtypes, devices, copy-on-write storage, explicit conversions.
@Suite struct TensorCoreTests {
    @Test func dtypesConvertExactlyOrToNearestEven() {
        let x = Tensor(shape: [4], scalars: [1, 1 + 0x1p-8, 1 + 0x1p-7 + 0x1p-8, -3.14159])  // two exact ties
        let b = x.to(dtype: .bf16)
        #expect(b.dtype == .bf16 && b.shape == [4])
        #expect(b.hostScalars() == [1, 1, 1 + 0x1p-6, -3.140625])
        #expect(b.to(dtype: .f32) == x.roundedToBF16())
        let h = x.to(dtype: .f16)
        #expect(h.hostScalars() == x.hostScalars().map(HalfFloat.round))
        // Widening back is exact, and every conversion keeps the shape.
        #expect(h.to(dtype: .f32).to(dtype: .f16) == h)
    }

    @Test func fp8EncodingMatchesTheDecodingTables() {
        // Every finite code decodes and re-encodes to itself.
        for code in 0..<256 where code & 0x7F != 0x7F {
            let v = Float8.floatFromE4M3(UInt8(code))
            #expect(Float8.e4m3Bits(from: v) == UInt8(code) || v == 0, "e4m3 code \(code)")
        }
        for code in 0..<256 {
            let v = Float8.floatFromE5M2(UInt8(code))
            if v.isNaN { continue }
            #expect(Float8.e5m2Bits(from: v) == UInt8(code), "e5m2 code \(code)")
        }
        #expect(Float8.e4m3Bits(from: 1000).isMultiple(of: 1) && Float8.floatFromE4M3(Float8.e4m3Bits(from: 1000)).isNaN)
        #expect(Float8.floatFromE4M3(Float8.e4m3Bits(from: 460)) == 448)
        // Ties go to the even code: 1 + 1/16 lies halfway between 1 and 1.125.
        #expect(Float8.floatFromE4M3(Float8.e4m3Bits(from: 1.0625)) == 1)
    }

    @Test func opsPromoteLikeTorch() {
        let f = Tensor(shape: [2], scalars: [1, 2]), b = f.to(dtype: .bf16)
        #expect((b + b).dtype == .bf16)
        #expect((b + f).dtype == .f32)
        #expect((b * 0.5).dtype == .bf16)  // a rank-0 operand does not widen
        #expect((b + Tensor(3)).dtype == .bf16)
        #expect(b.to(dtype: .f8e4m3).linear(weight: Tensor(shape: [1, 2], scalars: [1, 1]).to(dtype: .f8e4m3)).dtype == .f32)
        #expect(b.linear(weight: Tensor(shape: [1, 2], scalars: [1, 1]).to(dtype: .f8e4m3)).dtype == .bf16)
    }

    @Test func storageIsCopiedOnWriteOnly() {
        var a = Tensor(shape: [3], scalars: [1, 2, 3])
        let shared = a
        a[1] = 9
        #expect(shared.hostScalars() == [1, 2, 3] && a.hostScalars() == [1, 9, 3])
        var c = a.to(dtype: .bf16)
        let before = c
        c[0] = 1.5
        #expect(before.hostScalars() == [1, 9, 3] && c.hostScalars() == [1.5, 9, 3] && c.dtype == .bf16)
        // A reshape shares storage; writing through one copy leaves the other alone.
        var r = a.reshaped([1, 3])
        r[0, 2] = -1
        #expect(a.hostScalars() == [1, 9, 3])
    }

    @Test func storedTensorsBecomeZeroCopyViewsOrConvert() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tensor-core-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("w.safetensors").path
        var rng = SeededRandom(seed: 1)
        let w = rng.tensor([6, 5])
        var writer = SafetensorsWriter()
        try writer.add("w", w, as: .bf16)
        try writer.add("f", w)
        _ = try writer.write(to: URL(fileURLWithPath: path))
        let file = try SafetensorsFile(path: path)
        let view = try file.tensor("w").tensor()
        #expect(view.dtype == .bf16 && view.hostStorage.contents == .mapped)
        #expect(view.hostScalars() == w.roundedToBF16().hostScalars())
        let rows = try file.tensor("w").tensor(rows: 2..<4)
        #expect(rows.shape == [2, 5] && rows.hostScalars() == w.roundedToBF16().sliced(axis: 0, 2..<4).hostScalars())
        let widened = try file.tensor("w").tensor(dtype: .f32)
        #expect(widened.dtype == .f32 && widened == w.roundedToBF16())
        let f32 = try file.tensor("f").tensor()
        #expect(f32 == w)
        // Writing to a mapped view copies it first; the file is untouched.
        var copy = view
        copy[0, 0] = 100
        let reread = try file.tensor("w").tensor()
        #expect(copy.hostStorage.contents != .mapped)
        #expect(reread[0, 0] == view[0, 0] && copy[0, 0] == 100)
    }

    @Test func devicesWithoutABackendAreAClearError() {
        #expect(Device(parsing: "cuda:1") == .cuda(1) && Device(parsing: "cpu") == .cpu && Device(parsing: "gpu") == nil)
        #expect(throws: BackendError.noBackend(.cuda(0))) { try BackendRegistry.resolve(.cuda(0)) }
        #expect("\(BackendError.noBackend(.cuda(0)))".contains("no backend for device cuda:0"))
        let x = Tensor(shape: [2], scalars: [1, 2])
        #expect(x.to(device: .cpu) == x && x.device == .cpu)
    }
}

@Suite struct ThreadCountSettingTests {
    @Test func openBLASNumThreadsSetsTheStartingCount() {
        #expect(TensorThreads.startingCount(environment: ["OPENBLAS_NUM_THREADS": "1"]) == 1)
        #expect(TensorThreads.startingCount(environment: ["OPENBLAS_NUM_THREADS": "3"]) == 3)
        #expect(TensorThreads.startingCount(environment: ["OPENBLAS_NUM_THREADS": "0"]) == TensorThreads.coreCount)
        #expect(TensorThreads.startingCount(environment: [:]) == TensorThreads.coreCount)
    }
}
