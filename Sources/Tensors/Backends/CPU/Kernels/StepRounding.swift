/// How a CPU kernel rounds its intermediate steps: not at all in float32, or to bf16 after each
/// step where PyTorch's bf16 pipeline runs separate ops (each of which rounds its result).
/// A type parameter, so each variant compiles to its own loop.
protocol StepRounding {
    static func r(_ x: Float) -> Float
}

/// float32: no intermediate rounding.
enum ExactSteps: StepRounding {
    @inline(__always) static func r(_ x: Float) -> Float { x }
}

/// bf16: every intermediate rounded to the nearest bf16 (ties to even).
enum BF16Steps: StepRounding {
    @inline(__always) static func r(_ x: Float) -> Float { BFloat16.round(x) }
}
