internal import CKernels

/// The fused AdaLN ops with their modulation in run form (`RowRuns`): one pass over the token
/// rows, each row normalised (`NormRows`) and modulated, or gated, by the C row kernels with
/// its run's vectors read in place from the small `rows [R, K, D]` table. The row functions are
/// those of the unfused ops, so the results are theirs to the bit (bf16 rows are normalised in
/// float32 and rounded, then modulated with torch's bf16 roundings, as `rmsNorm` then
/// `modulated` do).
extension Tensor {
    /// `normalizedModulated` on a float32 or bf16 tensor with `rows` of the same dtype.
    func cpuNormModulated(_ norm: ModulatedNorm, eps: Float, rows: Tensor, runs: RowRuns, scale: Int, shift: Int) -> Tensor {
        let d = shape[rank - 1], k = rows.shape[1]
        func normalize(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
            switch norm {
            case .rms: NormRows.rms(x, y, d, eps: eps, weight: nil)
            case .layer: NormRows.layer(x, y, d, eps: eps, weight: nil, bias: nil)
            }
        }
        if dtype == .bf16 {
            return Tensor.runWords(shape: shape, runs: runs, self, rows) { x, table, out, token, run, row in
                reelflow_bf16_to_f32(x + token * d, row, d)
                normalize(row, row)
                reelflow_f32_to_bf16(row, out + token * d, d)
                let vectors = table + run * k * d
                reelflow_bf16_modulate(out + token * d, vectors + scale * d, vectors + shift * d, out + token * d, d)
            }
        }
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { xb in
                rows.withUnsafeBufferPointer { rb in
                    guard let x = xb.baseAddress, let table = rb.baseAddress, let o = out.baseAddress else { return }
                    Tensor.forEachToken(of: runs, width: d) { token, run in
                        let vectors = table + run * k * d
                        normalize(x + token * d, o + token * d)
                        reelflow_f32_modulate(o + token * d, vectors + scale * d, vectors + shift * d, o + token * d, d)
                    }
                }
            }
        }
    }

    /// `addingGated(_:rows:runs:gate:)` on float32 or bf16 operands of one dtype.
    func cpuAddingGated(_ y: Tensor, rows: Tensor, runs: RowRuns, gate: Int) -> Tensor {
        let d = shape[rank - 1], k = rows.shape[1]
        if dtype == .bf16 {
            return y.withUnsafeHostBytes { yr in
                let py = yr.bindMemory(to: UInt16.self).baseAddress
                return Tensor.runWords(shape: shape, runs: runs, self, rows) { x, table, out, token, run, _ in
                    reelflow_bf16_add_gated(x + token * d, py! + token * d, table + (run * k + gate) * d, out + token * d, d)
                }
            }
        }
        return Tensor(shape: shape) { out in
            withUnsafeBufferPointer { xb in
                y.withUnsafeBufferPointer { yb in
                    rows.withUnsafeBufferPointer { rb in
                        guard let x = xb.baseAddress, let py = yb.baseAddress, let table = rb.baseAddress, let o = out.baseAddress else { return }
                        Tensor.forEachToken(of: runs, width: d) { token, run in
                            reelflow_f32_add_gated(x + token * d, py + token * d, table + (run * k + gate) * d, o + token * d, d)
                        }
                    }
                }
            }
        }
    }

    /// `body(token, run)` for every token of `runs`, tokens spread over threads in pieces of
    /// about 16k values (`width` values a token).
    static func forEachToken(of runs: RowRuns, width: Int, _ body: (Int, Int) -> Void) {
        parallelFor(runs.tokenCount, grain: Swift.max(1, 16_384 / Swift.max(1, width))) { range in
            guard let first = range.first else { return }
            var run = runs.run(containing: first)
            for token in range {
                while runs.ends[run] <= token { run += 1 }
                body(token, run)
            }
        }
    }

    /// A bf16 result of `shape` written token by token: `body(x, rows, out, token, run,
    /// scratch)` gets the words of `x` and `rows`, the output words and a float32 scratch row
    /// of the last axis' width (on the stack).
    private static func runWords(
        shape: [Int], runs: RowRuns, _ x: Tensor, _ rows: Tensor,
        _ body: (UnsafePointer<UInt16>, UnsafePointer<UInt16>, UnsafeMutablePointer<UInt16>, Int, Int, UnsafeMutablePointer<Float>) -> Void
    ) -> Tensor {
        let n = shape.reduce(1, *), d = shape[shape.count - 1]
        let words = [UInt16](unsafeUninitializedCapacity: n) { out, initialized in
            x.withUnsafeHostBytes { xr in
                rows.withUnsafeHostBytes { rr in
                    guard n > 0, let px = xr.bindMemory(to: UInt16.self).baseAddress,
                        let table = rr.bindMemory(to: UInt16.self).baseAddress, let po = out.baseAddress
                    else { return }
                    forEachToken(of: runs, width: d) { token, run in
                        withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { body(px, table, po, token, run, $0.baseAddress!) }
                    }
                }
            }
            initialized = n
        }
        return Tensor(shape: shape, dtype: .bf16, storage: HostStorage(words: words))
    }
}
