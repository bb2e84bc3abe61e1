// swift-tools-version: 6.1
import PackageDescription

// Layers (DESIGN.md): ReelflowGraph <- ReelflowEngine; Tensors; Media -> Tensors;
// the `reelflow` executable sits on top. C libraries enter only through the C* targets.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "reelflow",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "reelflow", targets: ["reelflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // MARK: C system libraries (thin; nothing above them sees a C pointer)
        .systemLibrary(
            name: "COpenBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", pkgConfig: "libavformat",
            providers: [.apt(["libavcodec-dev", "libavformat-dev", "libswscale-dev"])]),
        .systemLibrary(
            name: "CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),

        // oneDNN's bf16 matrix products, opened at run time (nothing links against oneDNN).
        .target(name: "CDNNL"),
        // Streaming-store conversion kernels for the safetensors loader (Swift cannot emit them).
        .target(name: "CKernels"),
        // Declarations of the CUDA driver, NVRTC and cuBLASLt entry points (loaded at run time;
        // nothing links against CUDA).
        .target(name: "CCUDA"),
        // The CUDA libraries at run time: finding and opening them, the driver and NVRTC calls,
        // the device probe (no Foundation, so it also builds the small `cuda-probe` tool).
        .target(name: "CUDARuntime", dependencies: ["CCUDA"], swiftSettings: swiftSettings),
        // The CUDA backend of `Tensors`: device storage, the CUDA C kernels (Kernels/, compiled
        // by NVRTC on first use and cached on disk) and cuBLASLt GEMMs.
        .target(
            name: "CUDABackend", dependencies: ["Tensors", "CUDARuntime", "CCUDA"],
            resources: [
                .embedInCode("Kernels/common.cuh"), .embedInCode("Kernels/elementwise.cu"),
                .embedInCode("Kernels/layout.cu"), .embedInCode("Kernels/norms.cu"), .embedInCode("Kernels/rope.cu"),
                .embedInCode("Kernels/resample.cu"), .embedInCode("Kernels/attention.cu"),
                .embedInCode("Kernels/convolution.cu"), .embedInCode("Kernels/random.cu"),
                .embedInCode("Kernels/flash_attention.cu"), .embedInCode("Kernels/vectorized.cu"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Graph model and engine (no ML, no media)
        .target(
            name: "ReelflowGraph",
            dependencies: [
                "ReelflowIO",
                .product(name: "Yams", package: "Yams"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .target(
            name: "ReelflowEngine",
            dependencies: [
                "ReelflowGraph", "ReelflowIO",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Shared low-level pieces below the graph, the engine and the tensor core: atomic
        // file writes and output naming, file system calls (on swift-system), the JSON string escaper
        .target(
            name: "ReelflowIO",
            dependencies: [.product(name: "SystemPackage", package: "swift-system")],
            swiftSettings: swiftSettings),

        // MARK: Numerics and media
        .target(
            name: "Tensors",
            dependencies: ["COpenBLAS", "CKernels", "CDNNL", "ReelflowIO"],
            swiftSettings: swiftSettings),
        .target(
            name: "Media",
            dependencies: ["CFFmpeg", "CPNG", "CKernels", "Tensors", "ReelflowIO"],
            swiftSettings: swiftSettings),

        // MARK: Model code (Tensor ops only; runs on every backend)
        .target(name: "LTX", dependencies: ["Tensors"], swiftSettings: swiftSettings),

        // MARK: Node libraries
        .target(
            name: "CoreNodes",
            dependencies: [
                "ReelflowGraph", "ReelflowEngine", "ReelflowIO",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),

        .target(
            name: "NodeKit", dependencies: ["ReelflowEngine", "ReelflowGraph", "ReelflowIO", "Tensors"], swiftSettings: swiftSettings),
        .target(
            name: "MediaNodes",
            dependencies: ["NodeKit", "Media", "Tensors", "ReelflowEngine", "ReelflowGraph", "ReelflowIO"],
            swiftSettings: swiftSettings),
        .target(
            name: "LTXNodes",
            dependencies: [
                "NodeKit", "LTX", "Tensors", "ReelflowEngine", "ReelflowGraph",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),

        // The built-in demo's random-weight models and synthetic media.
        .target(name: "ReelflowDemo", dependencies: ["LTX", "Media", "Tensors"], swiftSettings: swiftSettings),

        // MARK: Executable
        .executableTarget(
            name: "reelflow",
            dependencies: [
                "ReelflowGraph", "ReelflowEngine", "CoreNodes", "MediaNodes", "LTXNodes", "NodeKit", "LTX", "ReelflowDemo", "CUDARuntime", "CUDABackend",
                "ReelflowIO", "Tensors", "Media",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),

        // MARK: Benchmarks (run in release; see docs/benchmarks.md)
        .executableTarget(
            name: "engine-bench",
            dependencies: [
                "ReelflowGraph", "ReelflowEngine", "CoreNodes",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            path: "Benchmarks/EngineBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "graph-bench",
            dependencies: ["ReelflowGraph", .product(name: "Yams", package: "Yams")],
            path: "Benchmarks/GraphBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "media-bench", dependencies: ["Media", "Tensors"], path: "Benchmarks/MediaBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "safetensors-bench", dependencies: ["Tensors"],
            path: "Benchmarks/SafetensorsBench", swiftSettings: swiftSettings),
        .executableTarget(
            name: "ltx-bench", dependencies: ["LTX", "Tensors"], path: "Benchmarks/LTXBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "ltx-vae-bench", dependencies: ["LTX", "Tensors"], path: "Benchmarks/LTXVAEBench",
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "cuda-op-suite", dependencies: ["CUDABackend", "LTX", "Tensors", "TensorsTestSupport", "ReelflowTestSupport"],
            path: "Benchmarks/CUDAOpSuite", swiftSettings: swiftSettings),
        .executableTarget(
            name: "cuda-probe", dependencies: ["CUDARuntime"], path: "Benchmarks/CUDAProbe", swiftSettings: swiftSettings),
        .executableTarget(
            name: "tensor-bench", dependencies: ["Tensors", "COpenBLAS"], path: "Benchmarks/TensorBench",
            swiftSettings: swiftSettings),

        // MARK: Tests
        .target(name: "ReelflowTestSupport", path: "Tests/ReelflowTestSupport", swiftSettings: swiftSettings),
        // The reference backend of the shared op suite (plain loops; tests only).
        .target(
            name: "TensorsTestSupport", dependencies: ["Tensors", "ReelflowTestSupport"], path: "Tests/TensorsTestSupport",
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReelflowGraphTests",
            dependencies: ["ReelflowGraph", "ReelflowTestSupport", .product(name: "OrderedCollections", package: "swift-collections")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "ReelflowEngineTests",
            dependencies: [
                "ReelflowEngine", "CoreNodes", "ReelflowIO",
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "TensorsTests", dependencies: ["Tensors", "TensorsTestSupport", "CKernels", "ReelflowTestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "CUDARuntimeTests", dependencies: ["CUDARuntime", "ReelflowTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "CUDABackendTests", dependencies: ["CUDABackend", "CUDARuntime", "Tensors", "ReelflowTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LTXTests", dependencies: ["LTX", "Tensors", "TensorsTestSupport", "ReelflowTestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "MediaTests", dependencies: ["Media", "CKernels", "ReelflowTestSupport"],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(
            name: "ReelflowCLITests",
            dependencies: [
                "reelflow", "Media", "Tensors", "CUDARuntime", "CoreNodes", "MediaNodes", "LTXNodes", "NodeKit", "ReelflowEngine",
                "ReelflowGraph", "TensorsTestSupport",
            ],
            resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
