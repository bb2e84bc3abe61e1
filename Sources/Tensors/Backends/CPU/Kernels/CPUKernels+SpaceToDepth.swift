
extension Tensor {
    /// Folds blocks of `factors` (`[ph, pw]` on `[B, C, H, W]`, or `[pt, ph, pw]` on
    /// `[B, C, F, H, W]`) into the channel axis: `[B, C, F, H, W]` ->
    /// `[B, C*pt*ph*pw, F/pt, H/ph, W/pw]`, channels ordered by `order`.
    func cpuSpaceToDepth(_ factors: [Int], order: SpaceToDepthOrder = .timeHeightWidth) -> Tensor {
        let n = factors.count
        require((n == 2 || n == 3) && rank == n + 2, "spaceToDepth \(factors) on shape \(shape)")
        require(factors.allSatisfy { $0 > 0 }, "spaceToDepth factors must be positive, got \(factors)")
        for i in 0..<n {
            require(
                shape[2 + i] % factors[i] == 0, "spaceToDepth: axis \(2 + i) of \(shape) not divisible by \(factors[i])")
        }
        let blocks = (0..<n).map { shape[2 + $0] / factors[$0] }
        // [B, C, X0, p0, X1, p1, (X2, p2)]
        var split = [shape[0], shape[1]]
        for i in 0..<n { split += [blocks[i], factors[i]] }
        let offsets = Tensor.offsetAxisOrder(n, order)
        // -> [B, C, p(order...), X0, X1, (X2)]
        let axes = [0, 1] + offsets.map { 3 + 2 * $0 } + (0..<n).map { 2 + 2 * $0 }
        return reshaped(split).permuted(axes)
            .reshaped([shape[0], shape[1] * factors.reduce(1, *)] + blocks)
    }

    /// The inverse of `spaceToDepth` with the same factors and order:
    /// `[B, C*pt*ph*pw, F, H, W]` -> `[B, C, F*pt, H*ph, W*pw]`.
    func cpuDepthToSpace(_ factors: [Int], order: SpaceToDepthOrder = .timeHeightWidth) -> Tensor {
        let n = factors.count
        require((n == 2 || n == 3) && rank == n + 2, "depthToSpace \(factors) on shape \(shape)")
        let block = factors.reduce(1, *)
        require(block > 0 && shape[1] % block == 0, "depthToSpace: \(shape[1]) channels not divisible by \(block)")
        let offsets = Tensor.offsetAxisOrder(n, order)
        // [B, C, p(order...), X0, X1, (X2)]
        let split = [shape[0], shape[1] / block] + offsets.map { factors[$0] } + Array(shape[2...])
        // -> [B, C, X0, p0, X1, p1, (X2, p2)]
        var axes = [0, 1]
        for i in 0..<n { axes += [2 + n + i, 2 + offsets.firstIndex(of: i)!] }
        return reshaped(split).permuted(axes)
            .reshaped([shape[0], shape[1] / block] + (0..<n).map { shape[2 + $0] * factors[$0] })
    }

    /// Which spatial axis each channel-offset slot holds, outermost slot first.
    static func offsetAxisOrder(_ n: Int, _ order: SpaceToDepthOrder) -> [Int] {
        switch (order, n) {
        case (.timeHeightWidth, _): Array(0..<n)
        case (.timeWidthHeight, 2): [1, 0]
        case (.timeWidthHeight, _): [0, 2, 1]
        }
    }
}
