import Foundation
import Testing

/// docs/nodes.md is generated from the node registry and must not go stale.
@Suite struct NodeReferenceTests {
    @Test func docsNodesMatchesTheRegistry() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let result = try cli.run("nodes", "--markdown")
        #expect(result.status == 0)
        let committed = try String(contentsOf: CLI.repositoryRoot.appendingPathComponent("docs/nodes.md"), encoding: .utf8)
        #expect(result.stdout == committed, "docs/nodes.md is stale: run `swift run reelflow nodes --markdown > docs/nodes.md`")
        for type in ["LoadCheckpoint", "LoRAStack", "Sampler", "VAEDecode", "LoadVideo", "Save", "ConditionByMask"] {
            #expect(committed.contains("### \(type)\n"), "\(type) is missing")
        }
    }
}

/// `reelflow devices` lists the CPU and, without CUDA, says what it looked for instead of failing.
@Suite struct DevicesCommandTests {
    @Test func listsTheCPUAndExplainsAMissingCUDA() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let result = try cli.run(["devices"], environment: ["REELFLOW_CUDA_PATH": "/nonexistent"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("cpu "))
        let lines = result.stdout.split(separator: "\n")
        let cuda = lines.first { $0.hasPrefix("cuda") }
        #expect(cuda != nil)
        if let cuda, cuda.contains("not available") {
            #expect(cuda.contains("libcuda.so.1") && cuda.contains("REELFLOW_CUDA_PATH"), "\(cuda)")
        }
        // oneDNN: its version where libdnnl2 is installed (scripts/setup), else why not.
        let onednn = lines.first { $0.hasPrefix("onednn") }
        #expect(onednn?.contains("oneDNN 2.") == true, "\(onednn ?? "no onednn line")")
        let off = try cli.run(["devices"], environment: ["REELFLOW_CUDA_PATH": "/nonexistent", "REELFLOW_ONEDNN": "0"])
        #expect(off.stdout.contains("oneDNN not in use: REELFLOW_ONEDNN=0"), "\(off.stdout)")
        // AMX attention tiles: in use or why not, and the switch is named when it is off.
        let amx = lines.first { $0.hasPrefix("amx") }
        #expect(amx?.contains("AMX tiles") == true, "\(amx ?? "no amx line")")
        let noAMX = try cli.run(["devices"], environment: ["REELFLOW_CUDA_PATH": "/nonexistent", "REELFLOW_AMX": "0"])
        #expect(noAMX.stdout.contains("AMX tiles not in use: REELFLOW_AMX=0"), "\(noAMX.stdout)")
    }

    /// OpenBLAS 0.3.21 falls back to generic SSE3 kernels on CPUs it does not know, and picks
    /// its AVX-512 kernels on AMD Zen 4, where its AVX2 ones multiply faster; reelflow then
    /// picks the kernels the CPU is best served by, unless the user chose some.
    @Test func openBLASKernelsFitTheCPUUnlessTheUserChose() throws {
        let cli = CLI()
        defer { cli.cleanup() }
        let cpuinfo = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "").split(separator: "\n")
        func field(_ name: String) -> String? {
            cpuinfo.first { $0.hasPrefix(name) }.flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let flags = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let zen4 = field("vendor_id") == "AuthenticAMD" && field("cpu family") == "25"
        let unset = try cli.run(["devices"], unsetting: ["OPENBLAS_CORETYPE"])
        let family = unset.stdout.split(separator: "\n").first.map { String($0.split(separator: " ").last ?? "") } ?? ""
        if zen4 && flags.contains("avx512f") {
            #expect(family == "Zen", "\(unset.stdout)")
        } else if ["avx512f", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(flags.contains) {
            #expect(["SkylakeX", "Cooperlake", "SapphireRapids"].contains(family) || family.hasPrefix("Zen"), "\(unset.stdout)")
        } else if flags.contains("avx2") && flags.contains("fma") {
            #expect(!["Prescott", "Core2", "Penryn", "Nehalem", "Sandybridge"].contains(family), "\(unset.stdout)")
        }
        let chosen = try cli.run(["devices"], environment: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(chosen.stdout.hasPrefix("cpu ") && chosen.stdout.split(separator: "\n")[0].hasSuffix("OpenBLAS kernels Prescott"), "\(chosen.stdout)")
    }
}
