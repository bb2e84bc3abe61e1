import Testing
import Tensors
import TensorsTestSupport

/// The device self-check of `reelflow devices --self-test` (`BackendCheck`), on an emulated
/// device: it passes where the device computes what the CPU does, and names the op where a
/// backend is off.
@Suite struct BackendCheckTests {
    /// Computes like the CPU except that attention comes out 1% too large.
    final class OffBackend: EmulatedDeviceBackend, @unchecked Sendable {
        override func attention(
            query: Tensor, key: Tensor, value: Tensor, layout: AttentionLayout, mask: AttentionMask?, scale: Float
        ) -> Tensor {
            let out = super.attention(query: query, key: key, value: value, layout: layout, mask: mask, scale: scale)
            return wrap(host(out) * 1.01)
        }
    }

    @Test func passesWhereTheDeviceComputesAsTheCPU() throws {
        BackendRegistry.register(EmulatedDeviceBackend(device: .cuda(9)))
        let summary = try BackendCheck.run(on: .cuda(9))
        #expect(summary.hasPrefix("backend self-check passed on cuda:9: 8 ops"), "\(summary)")
    }

    @Test func namesTheOpThatIsOff() {
        BackendRegistry.register(OffBackend(device: .cuda(10)))
        #expect { _ = try BackendCheck.run(on: .cuda(10)) } throws: { error in
            "\(error)".contains("attention, 2 heads x 128 in F32")  // 1% is inside the bf16 bound (1/64)
        }
    }
}
