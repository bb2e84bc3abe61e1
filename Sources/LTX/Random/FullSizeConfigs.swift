/// LTX-2.3's configs at full size, in the keys of the real files' metadata (reading map 2.2's
/// reported values: transformer 48 layers of 32 heads x 128, cross-attention 4096, split RoPE
/// with the float64 grid, gated attention, cross-attention AdaLN; the VAE's LTX-2.3 block lists
/// at their real widths; the x2 upsampler with 1024 channels). With `RandomCheckpoint` they make
/// full-size random-weight files for GPU benchmarks and `reelflow demo --full-size`.
public enum FullSizeConfigs {
    public static let transformer = """
        {"dropout": 0.0, "attention_bias": true, "num_vector_embeds": null, "activation_fn": "gelu-approximate", \
        "num_embeds_ada_norm": 1000, "use_linear_projection": false, "only_cross_attention": false, \
        "cross_attention_norm": true, "double_self_attention": false, "upcast_attention": false, \
        "standardization_norm": "rms_norm", "norm_elementwise_affine": false, "qk_norm": "rms_norm", \
        "positional_embedding_type": "rope", "use_middle_indices_grid": true, "in_channels": 128, \
        "out_channels": 128, "norm_eps": 1e-06, "positional_embedding_theta": 10000.0, \
        "positional_embedding_max_pos": [20, 2048, 2048], "timestep_scale_multiplier": 1000, \
        "rope_type": "split", "frequencies_precision": "float64", "apply_gated_attention": true, \
        "cross_attention_adaln": true, "caption_proj_before_connector": true, \
        "num_layers": 48, "num_attention_heads": 32, "attention_head_dim": 128, "cross_attention_dim": 4096}
        """

    public static let vae = """
        {"dims": 3, "in_channels": 3, "out_channels": 3, "latent_channels": 128, "patch_size": 4, \
        "norm_layer": "pixel_norm", "latent_log_var": "uniform", "spatial_padding_mode": "zeros", \
        "causal_decoder": false, "timestep_conditioning": false, "decoder_base_channels": 128, \
        "encoder_blocks": [["res_x", {"num_layers": 4}], ["compress_space_res", {"multiplier": 2}], \
        ["res_x", {"num_layers": 6}], ["compress_time_res", {"multiplier": 2}], ["res_x", {"num_layers": 4}], \
        ["compress_all_res", {"multiplier": 2}], ["res_x", {"num_layers": 2}], \
        ["compress_all_res", {"multiplier": 1}], ["res_x", {"num_layers": 2}]], \
        "decoder_blocks": [["res_x", {"num_layers": 4}], ["compress_space", {"multiplier": 2}], \
        ["res_x", {"num_layers": 6}], ["compress_time", {"multiplier": 2}], ["res_x", {"num_layers": 4}], \
        ["compress_all", {"multiplier": 1}], ["res_x", {"num_layers": 2}], \
        ["compress_all", {"multiplier": 2}], ["res_x", {"num_layers": 2}]]}
        """

    /// `{"transformer": ...}` alone (the transformer benchmark's file).
    public static let transformerCheckpoint = "{\"transformer\": \(transformer)}"

    /// `{"transformer": ..., "vae": ...}`: a whole checkpoint.
    public static let checkpoint = "{\"transformer\": \(transformer), \"vae\": \(vae)}"

    public static let upsampler = """
        {"in_channels": 128, "mid_channels": 1024, "num_blocks_per_stage": 4, "dims": 3, "spatial_upsample": true, \
        "temporal_upsample": false, "spatial_scale": 2.0, "rational_resampler": false}
        """
}
