/// The CUDA C sources of the backend's kernels (`Kernels/`, embedded in the binary at build
/// time), joined into one translation unit that NVRTC compiles once per GPU architecture.
enum KernelSources {
    /// common.cuh first (shared types and element loads/stores), then each kernel family.
    static let all: String = {
        let parts: [[UInt8]] = [
            PackageResources.common_cuh, PackageResources.elementwise_cu, PackageResources.layout_cu,
            PackageResources.norms_cu, PackageResources.rope_cu, PackageResources.resample_cu,
            PackageResources.attention_cu, PackageResources.convolution_cu, PackageResources.random_cu,
            PackageResources.flash_attention_cu, PackageResources.vectorized_cu,
        ]
        return parts.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
    }()

    /// Every kernel the backend launches (a test checks each one is in the compiled module).
    static let kernelNames = [
        "rf_convert", "rf_put", "rf_unary", "rf_binary", "rf_fused3", "rf_copy", "rf_softmax", "rf_rownorm", "rf_sum_axis",
        "rf_groupnorm", "rf_pixelnorm", "rf_rope_interleaved", "rf_rope_split", "rf_interpolate", "rf_attention",
        "rf_im2col", "rf_randn_philox", "rf_flash2_d64", "rf_flash2_d128", "rf_flash2_wide_d64", "rf_flash2_wide_d128", "rf_binary_bf16x8", "rf_fused3_bf16x8",
        "rf_unary_bf16x8", "rf_rownorm_bf16x8", "rf_to_channels_last", "rf_to_channels_first", "rf_pixelnorm_bf16x8",
    ]

    /// Dynamic shared memory of the kernels that use more than the static 48 KB default: the
    /// flash2 kernels' two stages of 64-key K and V tiles, rows padded by 8 elements.
    static func flash2SharedBytes(headWidth d: Int) -> Int { 2 * 2 * 64 * (d + 8) * 2 }
    static let dynamicSharedBytes = [
        ("rf_flash2_d64", flash2SharedBytes(headWidth: 64)), ("rf_flash2_d128", flash2SharedBytes(headWidth: 128)),
        ("rf_flash2_wide_d64", flash2SharedBytes(headWidth: 64)), ("rf_flash2_wide_d128", flash2SharedBytes(headWidth: 128)),
    ]
}
