import CCUDA

/// cuDNN 9, looked up at run time: the 3D convolutions of the VAE through cuDNN's convolution
/// API (NCDHW tensors, float32 accumulation, tensor cores for bf16 and float16). Optional: a
/// machine without cuDNN runs the CUDA backend's im2col + cuBLASLt path instead.
/// One per process (`CUDNN.shared`).
package final class CUDNN: @unchecked Sendable {
    let library: CUDALibraries.Opened
    let getVersion: PFN_cudnnGetVersion
    let errorString: PFN_cudnnGetErrorString
    let create: PFN_cudnnCreate
    let setStream: PFN_cudnnSetStream
    let createTensor: PFN_cudnnCreateTensorDescriptor
    let destroyTensor: PFN_cudnnDestroyTensorDescriptor
    let setTensor: PFN_cudnnSetTensorNdDescriptor
    let createFilter: PFN_cudnnCreateFilterDescriptor
    let destroyFilter: PFN_cudnnDestroyFilterDescriptor
    let setFilter: PFN_cudnnSetFilterNdDescriptor
    let createConvolution: PFN_cudnnCreateConvolutionDescriptor
    let destroyConvolution: PFN_cudnnDestroyConvolutionDescriptor
    let setConvolution: PFN_cudnnSetConvolutionNdDescriptor
    let setMathType: PFN_cudnnSetConvolutionMathType
    let forwardAlgorithms: PFN_cudnnGetConvolutionForwardAlgorithm_v7
    let findForwardAlgorithms: PFN_cudnnFindConvolutionForwardAlgorithm
    let forward: PFN_cudnnConvolutionForward

    package static let shared: Result<CUDNN, CUDAError> = {
        do { return .success(try CUDNN()) } catch let e as CUDAError { return .failure(e) } catch {
            return .failure(CUDAError("\(error)"))
        }
    }()

    private init() throws {
        let opened: CUDALibraries.Opened
        do { opened = try CUDALibraries.open(["libcudnn.so.9", "libcudnn.so"]) } catch {
            throw CUDAError("cuDNN: \(error.description)")
        }
        library = opened
        getVersion = try opened.function("cudnnGetVersion", PFN_cudnnGetVersion.self)
        errorString = try opened.function("cudnnGetErrorString", PFN_cudnnGetErrorString.self)
        create = try opened.function("cudnnCreate", PFN_cudnnCreate.self)
        setStream = try opened.function("cudnnSetStream", PFN_cudnnSetStream.self)
        createTensor = try opened.function("cudnnCreateTensorDescriptor", PFN_cudnnCreateTensorDescriptor.self)
        destroyTensor = try opened.function("cudnnDestroyTensorDescriptor", PFN_cudnnDestroyTensorDescriptor.self)
        setTensor = try opened.function("cudnnSetTensorNdDescriptor", PFN_cudnnSetTensorNdDescriptor.self)
        createFilter = try opened.function("cudnnCreateFilterDescriptor", PFN_cudnnCreateFilterDescriptor.self)
        destroyFilter = try opened.function("cudnnDestroyFilterDescriptor", PFN_cudnnDestroyFilterDescriptor.self)
        setFilter = try opened.function("cudnnSetFilterNdDescriptor", PFN_cudnnSetFilterNdDescriptor.self)
        createConvolution = try opened.function("cudnnCreateConvolutionDescriptor", PFN_cudnnCreateConvolutionDescriptor.self)
        destroyConvolution = try opened.function("cudnnDestroyConvolutionDescriptor", PFN_cudnnDestroyConvolutionDescriptor.self)
        setConvolution = try opened.function("cudnnSetConvolutionNdDescriptor", PFN_cudnnSetConvolutionNdDescriptor.self)
        setMathType = try opened.function("cudnnSetConvolutionMathType", PFN_cudnnSetConvolutionMathType.self)
        forwardAlgorithms = try opened.function(
            "cudnnGetConvolutionForwardAlgorithm_v7", PFN_cudnnGetConvolutionForwardAlgorithm_v7.self)
        findForwardAlgorithms = try opened.function(
            "cudnnFindConvolutionForwardAlgorithm", PFN_cudnnFindConvolutionForwardAlgorithm.self)
        forward = try opened.function("cudnnConvolutionForward", PFN_cudnnConvolutionForward.self)
    }

    /// Where the library came from and its version (e.g. 91002 for 9.10.2).
    package var path: String { library.path }
    package var version: Int { getVersion() }

    /// A new handle whose work is queued on `stream`.
    package func makeHandle(stream: CUstream?) throws -> cudnnHandle_t {
        var handle: cudnnHandle_t?
        try check(create(&handle), "cudnnCreate")
        guard let handle else { throw CUDAError("cudnnCreate returned no handle") }
        try check(setStream(handle, stream), "cudnnSetStream")
        return handle
    }

    /// One convolution's shapes: `input [N, Cin, D, H, W]`, `weight [Cout, Cin, kd, kh, kw]`,
    /// symmetric zero padding and strides per spatial axis, every tensor of `type`, packed
    /// channels-first (NCDHW, weights KCTRS) or, with `channelsLast`, channels-last (NDHWC,
    /// weights KTRSC).
    package struct Convolution: Hashable, Sendable {
        package var input: [Int]
        package var weight: [Int]
        package var padding: [Int]
        package var stride: [Int]
        package var type: CUBLASLt.ElementType
        package var channelsLast: Bool
        package init(
            input: [Int], weight: [Int], padding: [Int], stride: [Int], type: CUBLASLt.ElementType, channelsLast: Bool = false
        ) {
            (self.input, self.weight, self.padding, self.stride, self.type) = (input, weight, padding, stride, type)
            self.channelsLast = channelsLast
        }

        /// `[N, Cout, D', H', W']`.
        package var output: [Int] {
            [input[0], weight[0]] + (0..<input.count - 2).map { (input[$0 + 2] + 2 * padding[$0] - weight[$0 + 2]) / stride[$0] + 1 }
        }
    }

    /// A convolution's descriptors and the algorithm cuDNN's heuristics chose (the first whose
    /// workspace fits `maxWorkspace`). Made once per shape and kept.
    package final class Plan: @unchecked Sendable {
        let cudnn: CUDNN
        let x: cudnnTensorDescriptor_t, y: cudnnTensorDescriptor_t
        let w: cudnnFilterDescriptor_t
        let conv: cudnnConvolutionDescriptor_t
        let algorithm: Int32
        package let workspaceBytes: Int

        init(cudnn: CUDNN, x: cudnnTensorDescriptor_t, y: cudnnTensorDescriptor_t, w: cudnnFilterDescriptor_t,
             conv: cudnnConvolutionDescriptor_t, algorithm: Int32, workspaceBytes: Int) {
            (self.cudnn, self.x, self.y, self.w, self.conv) = (cudnn, x, y, w, conv)
            (self.algorithm, self.workspaceBytes) = (algorithm, workspaceBytes)
        }

        deinit {
            _ = cudnn.destroyTensor(x)
            _ = cudnn.destroyTensor(y)
            _ = cudnn.destroyFilter(w)
            _ = cudnn.destroyConvolution(conv)
        }
    }

    /// How a plan's algorithm is chosen: cuDNN's heuristics (instant), or by running every
    /// algorithm once on scratch buffers (`cudnnFindConvolutionForwardAlgorithm`: the
    /// fastest measured, at a one-time cost per shape).
    package enum Search: Sendable { case heuristic, measured }

    /// One algorithm as cuDNN ranked it: its number, status, measured milliseconds (measured
    /// search only) and workspace bytes.
    package struct Candidate: Sendable {
        package var algorithm: Int, status: Int, milliseconds: Float, workspace: Int
    }

    /// The plan of `c`, or an error when cuDNN cannot run it (the caller falls back).
    /// `ranked`, when given, receives every algorithm cuDNN listed.
    package func plan(
        _ c: Convolution, handle: cudnnHandle_t, maxWorkspace: Int, search: Search = .heuristic,
        ranked: (([Candidate]) -> Void)? = nil
    ) throws -> Plan {
        let dataType: Int32, mathType: Int32
        switch c.type {
        case .f32: (dataType, mathType) = (Int32(REELFLOW_CUDNN_DATA_FLOAT), Int32(REELFLOW_CUDNN_FMA_MATH))  // no TF32
        case .bf16: (dataType, mathType) = (Int32(REELFLOW_CUDNN_DATA_BFLOAT16), Int32(REELFLOW_CUDNN_TENSOR_OP_MATH))
        case .f16: (dataType, mathType) = (Int32(REELFLOW_CUDNN_DATA_HALF), Int32(REELFLOW_CUDNN_TENSOR_OP_MATH))
        }
        let limit = Int(Int32.max)
        guard ([c.input, c.output, c.weight].allSatisfy { $0.reduce(1, *) <= limit }) else {
            throw CUDAError("cuDNN: a tensor of more than 2^31 elements")
        }
        var x: cudnnTensorDescriptor_t?, y: cudnnTensorDescriptor_t?, w: cudnnFilterDescriptor_t?
        var conv: cudnnConvolutionDescriptor_t?
        try check(createTensor(&x), "cudnnCreateTensorDescriptor")
        try check(createTensor(&y), "cudnnCreateTensorDescriptor")
        try check(createFilter(&w), "cudnnCreateFilterDescriptor")
        try check(createConvolution(&conv), "cudnnCreateConvolutionDescriptor")
        guard let x, let y, let w, let conv else { throw CUDAError("cuDNN returned no descriptor") }
        // Strides of [N, C, spatial...] in the convolution's memory layout.
        func strides(_ shape: [Int]) -> [Int32] {
            let order = c.channelsLast ? [0] + Array(2..<shape.count) + [1] : Array(shape.indices)  // outermost first
            var strides = [Int32](repeating: 1, count: shape.count)
            var step = 1
            for axis in order.reversed() {
                strides[axis] = Int32(step)
                step *= shape[axis]
            }
            return strides
        }
        let format = Int32(c.channelsLast ? REELFLOW_CUDNN_TENSOR_NHWC : REELFLOW_CUDNN_TENSOR_NCHW)
        let spatial = c.input.count - 2, output = c.output
        do {
            try check(setTensor(x, dataType, Int32(c.input.count), c.input.map { Int32($0) }, strides(c.input)), "cudnnSetTensorNdDescriptor (input \(c.input))")
            try check(setTensor(y, dataType, Int32(output.count), output.map { Int32($0) }, strides(output)), "cudnnSetTensorNdDescriptor (output \(output))")
            try check(
                setFilter(w, dataType, format, Int32(c.weight.count), c.weight.map { Int32($0) }),
                "cudnnSetFilterNdDescriptor (\(c.weight))")
            try check(
                setConvolution(
                    conv, Int32(spatial), c.padding.map { Int32($0) }, c.stride.map { Int32($0) }, [Int32](repeating: 1, count: spatial),
                    Int32(REELFLOW_CUDNN_CROSS_CORRELATION), Int32(REELFLOW_CUDNN_DATA_FLOAT)),
                "cudnnSetConvolutionNdDescriptor")
            try check(setMathType(conv, mathType), "cudnnSetConvolutionMathType")
            var results = [ReelflowCudnnFwdAlgoPerf](repeating: ReelflowCudnnFwdAlgoPerf(), count: 16)
            var returned: Int32 = 0
            switch search {
            case .heuristic:
                try check(forwardAlgorithms(handle, x, w, conv, y, 16, &returned, &results), "cudnnGetConvolutionForwardAlgorithm_v7")
            case .measured:
                try check(findForwardAlgorithms(handle, x, w, conv, y, 16, &returned, &results), "cudnnFindConvolutionForwardAlgorithm")
            }
            ranked?(results.prefix(Int(returned)).map {
                Candidate(algorithm: Int($0.algo), status: Int($0.status), milliseconds: $0.time, workspace: $0.memory)
            })
            guard let best = results.prefix(Int(returned)).first(where: { $0.status == 0 && $0.memory <= maxWorkspace }) else {
                throw CUDAError("cuDNN has no algorithm for \(c) within \(maxWorkspace >> 20) MiB of workspace")
            }
            return Plan(cudnn: self, x: x, y: y, w: w, conv: conv, algorithm: best.algo, workspaceBytes: best.memory)
        } catch {
            _ = (destroyTensor(x), destroyTensor(y), destroyFilter(w), destroyConvolution(conv))
            throw error
        }
    }

    /// Queues `y = conv(x, w)` on the handle's stream.
    package func run(
        _ plan: Plan, handle: cudnnHandle_t, x: CUdeviceptr, w: CUdeviceptr, y: CUdeviceptr, workspace: CUdeviceptr
    ) throws {
        var alpha: Float = 1, beta: Float = 0
        try check(
            forward(
                handle, &alpha, plan.x, UnsafeRawPointer(bitPattern: UInt(x)), plan.w, UnsafeRawPointer(bitPattern: UInt(w)),
                plan.conv, plan.algorithm, UnsafeMutableRawPointer(bitPattern: UInt(workspace)), plan.workspaceBytes, &beta,
                plan.y, UnsafeMutableRawPointer(bitPattern: UInt(y))),
            "cudnnConvolutionForward (algorithm \(plan.algorithm))")
    }

    func check(_ status: cudnnStatus_t, _ call: String) throws {
        guard status != 0 else { return }
        throw CUDAError("\(call) failed: \(errorString(status).map { String(cString: $0) } ?? "cuDNN status \(status)")")
    }
}
