/// The sigma schedules of the distilled LTX-2 models (ltx-pipelines' `DISTILLED_SIGMA_VALUES`
/// and `STAGE_2_DISTILLED_SIGMA_VALUES`), as the float32 values ltx-core holds them in.
public enum DistilledSchedule {
    /// Stage 1: 8 steps.
    public static let stage1: [Float] = [1.0, 0.99375, 0.9875, 0.98125, 0.975, 0.909375, 0.725, 0.421875, 0.0]
    /// Stage 2: 3 steps from 0.909375, which is also stage 2's noise scale.
    public static let stage2: [Float] = [0.909375, 0.725, 0.421875, 0.0]

    /// The schedules by the names graphs use.
    public static let named: [String: [Float]] = ["distilled-stage1": stage1, "distilled-stage2": stage2]
}
