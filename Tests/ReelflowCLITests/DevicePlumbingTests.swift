import CoreNodes
import Foundation
import LTXNodes
import MediaNodes
import NodeKit
import ReelflowEngine
import ReelflowGraph
import Tensors
import TensorsTestSupport
import Testing

/// `--device` through the node library, in process: the IC-LoRA and Sync-LoRA graphs on the tiny
/// fixture models, each once on the CPU and once with the run setting `device: cuda:7` on an emulated device
/// (`EmulatedDeviceBackend`: host tensors labelled cuda:7, computed by the CPU backend). Every
/// model node must move its inputs to the model's device (an operand left on the host stops the
/// op), the sampler's latent comes out on the device, decoded video comes back to the host, and
/// the results equal the CPU run's bit for bit. The CUDA kernels themselves are checked on a
/// GPU by cuda-op-suite (docs/cuda.md).
@Suite struct DevicePlumbingTests {
    struct Silent: EngineEventSink { func handle(_ event: EngineEvent) {} }

    /// ic-lora-distilled fuses its LoRA; sync-lora-edit applies two unfused (their factors must
    /// reach the device too).
    @Test(arguments: ["ic-lora-distilled", "sync-lora-edit"])
    func theGraphOnADeviceEqualsTheCPURun(graphName: String) async throws {
        BackendRegistry.register(EmulatedDeviceBackend(device: .cuda(7)))
        var registry = NodeRegistry()
        CoreNodes.register(into: &registry)
        MediaNodes.register(into: &registry)
        LTXNodes.register(into: &registry)
        let cli = CLI()
        defer { cli.cleanup() }
        let sets = Pipeline.sets(output: cli.dir.appendingPathComponent("edit.mp4").path, extra: ["seed": "42"])
        var overrides: [ParamOverride] = []
        for i in stride(from: 1, to: sets.count, by: 2) {
            let pair = sets[i].split(separator: "=", maxSplits: 1).map(String.init)
            if graphName == "sync-lora-edit" && pair[0] == "ic_lora" {
                overrides.append(ParamOverride(name: "sync_lora", value: pair[1]))
                overrides.append(ParamOverride(name: "distilled_lora", value: pair[1]))
            } else {
                overrides.append(ParamOverride(name: pair[0], value: pair[1]))
            }
        }
        let loader = GraphLoader(schemas: registry, presetDirectories: [Pipeline.presets], environment: [:])
        let graph = try loader.load(
            file: CLI.repositoryRoot.appendingPathComponent("graphs/\(graphName).yaml").path, overrides: overrides)

        func run(_ settings: [String: String]) async throws -> (latent: Tensor, video: Tensor) {
            let summary = try await Executor(registry: registry, graph: graph)
                .run(RunOptions(targets: ["stage2", "decoded"], cache: nil, settings: settings), events: Silent())
            let latent = try #require(summary.outputs["stage2"]?["latent"] as? Tensor)
            let video = try #require(summary.outputs["decoded"]?["video"] as? Frames)
            return (latent, video.pixels)
        }
        let onCPU = try await run([:])
        let onDevice = try await run(["device": "cuda:7"])
        #expect(onDevice.latent.device == .cuda(7), "the sampler computed on the model's device")
        #expect(onDevice.video.device == .cpu, "decoded frames come back to host memory")
        #expect(onDevice.latent.to(device: .cpu) == onCPU.latent)
        #expect(onDevice.video == onCPU.video)
        // Sanity: the device run is not the CPU run by accident (its weights lived on cuda:7).
        #expect(onCPU.latent.device == .cpu)
    }
}
