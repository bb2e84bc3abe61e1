/// The configs of the built-in demo's random-weight models: LTX-2.3-shaped (split RoPE with
/// the float64 grid, gated attention, cross-attention AdaLN, 128 latent channels, patch size 4
/// and three x2 VAE stages) but a few thousand times smaller than the real 22B files, so the
/// whole two-stage graph runs in seconds on a laptop CPU.
public enum DemoConfigs {
    public static let checkpoint = """
        {"transformer": {"dropout": 0.0, "attention_bias": true, "num_vector_embeds": null, \
        "activation_fn": "gelu-approximate", "num_embeds_ada_norm": 1000, "use_linear_projection": false, \
        "only_cross_attention": false, "cross_attention_norm": true, "double_self_attention": false, \
        "upcast_attention": false, "standardization_norm": "rms_norm", "norm_elementwise_affine": false, \
        "qk_norm": "rms_norm", "positional_embedding_type": "rope", "use_middle_indices_grid": true, \
        "num_attention_heads": 4, "attention_head_dim": 16, "num_layers": 2, "cross_attention_dim": 64, \
        "in_channels": 128, "out_channels": 128, "norm_eps": 1e-06, "positional_embedding_theta": 10000.0, \
        "positional_embedding_max_pos": [20, 2048, 2048], "timestep_scale_multiplier": 1000, "rope_type": "split", \
        "frequencies_precision": "float64", "apply_gated_attention": true, "cross_attention_adaln": true, \
        "caption_proj_before_connector": true}, \
        "vae": {"dims": 3, "in_channels": 3, "out_channels": 3, "latent_channels": 128, "patch_size": 4, \
        "norm_layer": "pixel_norm", "latent_log_var": "uniform", "spatial_padding_mode": "zeros", \
        "causal_decoder": false, "timestep_conditioning": false, "decoder_base_channels": 8, \
        "encoder_blocks": [["compress_all_res", {"multiplier": 1}], ["compress_all_res", {"multiplier": 1}], \
        ["compress_all_res", {"multiplier": 1}]], \
        "decoder_blocks": [["res_x", {"num_layers": 1}], ["compress_all", {"multiplier": 2}], \
        ["compress_all", {"multiplier": 2}], ["compress_all", {"multiplier": 2}], ["res_x", {"num_layers": 1}]]}}
        """

    public static let upsampler = """
        {"in_channels": 128, "mid_channels": 64, "num_blocks_per_stage": 1, "dims": 3, "spatial_upsample": true, \
        "temporal_upsample": false, "spatial_scale": 2.0, "rational_resampler": false}
        """
}
