/// The text `reelflow inspect FILE.safetensors` prints: the tensors (name, dtype, shape,
/// size), the metadata, the LTX config pretty-printed, and for a LoRA its format, rank and
/// target key prefix. Reads the header only (and kohya alpha scalars).
public enum SafetensorsInspection {
    /// The report for the file at `path`.
    /// - Throws: the same `WeightFileError` opening the file would.
    public static func report(path: String) throws(WeightFileError) -> String {
        let file = try SafetensorsFile(path: path)
        var lines: [String] = []
        let parameters = file.tensors.reduce(0) { $0 + $1.elementCount }
        lines.append("file: \(path)")
        lines.append("size: \(byteSize(file.byteCount)) (header \(byteSize(file.headerByteCount)))")
        lines.append("tensors: \(file.tensors.count), \(grouped(parameters)) parameters")
        lines += tensorTable(file.tensors)

        lines.append("metadata:" + (file.metadata.isEmpty ? " none" : ""))
        for (key, value) in file.metadata {
            if key == "config" {
                lines.append("  config: JSON, \(byteSize(value.utf8.count)), shown below")
            } else {
                let shown = value.count > 120 ? String(value.prefix(120)) + "… (\(byteSize(value.utf8.count)))" : value
                lines.append("  \(key): " + shown.replacing("\n", with: "\\n"))
            }
        }
        if let config = try file.config() {
            lines.append("config:")
            lines += config.prettyText.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }
        }
        lines += loraSection(file)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func tensorTable(_ tensors: [StoredTensor]) -> [String] {
        guard !tensors.isEmpty else { return [] }
        let rows = tensors.map { t in
            [t.name, t.dtype.rawValue, "[" + t.shape.map(String.init).joined(separator: ", ") + "]", byteSize(t.byteCount)]
        }
        let header = ["name", "dtype", "shape", "size"]
        let widths = (0..<3).map { c in max(header[c].count, rows.map { $0[c].count }.max()!) }
        func line(_ cells: [String]) -> String {
            "  " + (0..<3).map { cells[$0].padding(to: widths[$0]) }.joined(separator: "  ") + "  " + cells[3]
        }
        return [line(header)] + rows.map(line)
    }

    private static func loraSection(_ file: SafetensorsFile) -> [String] {
        let looksLikeLoRA = file.tensors.contains {
            $0.name.hasSuffix(".lora_A.weight") || $0.name.hasSuffix(".lora_down.weight")
                || $0.name.hasSuffix(".lora_B.weight") || $0.name.hasSuffix(".lora_up.weight")
        }
        guard looksLikeLoRA else { return [] }
        let adapter: LoRAAdapter
        do {
            adapter = try LoRAAdapter(file: file)
        } catch {
            return ["lora: not usable: \(error.reason)" + (error.tensor.map { " (tensor '\($0)')" } ?? "")]
        }
        var lines = ["lora:"]
        lines.append("  format: \(adapter.format)")
        if let ranks = adapter.rankRange {
            lines.append("  rank: " + (ranks.lowerBound == ranks.upperBound ? "\(ranks.lowerBound)" : "\(ranks.lowerBound) to \(ranks.upperBound)"))
        }
        let modules = adapter.pairs.map(\.module)
        lines.append("  modules: \(modules.count), target prefix: \(commonPrefix(modules).isEmpty ? "(none)" : commonPrefix(modules))")
        if let first = modules.first { lines.append("  first module: \(first)") }
        switch adapter.format {
        case .loraAB:
            lines.append("  scale: strength (no alpha/rank scaling, as in ltx-core)")
            if !adapter.ignoredAlphaKeys.isEmpty {
                lines.append("  alpha keys: \(adapter.ignoredAlphaKeys.count), ignored as ltx-core ignores them")
            }
        case .kohya:
            let alphas = Set(adapter.pairs.compactMap(\.alpha))
            lines.append("  scale: strength × alpha / rank; alpha " + (alphas.isEmpty ? "absent (= rank)" : alphas.sorted().map { "\($0)" }.joined(separator: ", ")))
        }
        if let factor = file.metadata("reference_downscale_factor") {
            lines.append("  reference_downscale_factor: \(factor)")
        }
        return lines
    }

    /// The longest common prefix of `names`, cut back to end at a `.` or `_`.
    static func commonPrefix(_ names: [String]) -> String {
        guard var prefix = names.first else { return "" }
        for name in names.dropFirst() {
            while !name.hasPrefix(prefix) { prefix.removeLast() }
        }
        if names.count == 1 { return prefix }
        while let last = prefix.last, last != ".", last != "_" { prefix.removeLast() }
        return prefix
    }

    /// `512 B`, `2.0 KiB`, `31.5 MiB`, `41.3 GiB`.
    static func byteSize(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        for unit in ["KiB", "MiB", "GiB"] {
            if value < 1024 || unit == "GiB" { return oneDecimal(value) + " " + unit }
            value /= 1024
        }
        return ""
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `1234567` -> `1,234,567`.
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(d)
        }
        return out
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
