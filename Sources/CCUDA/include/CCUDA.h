// The few CUDA driver, NVRTC, cuBLASLt and cuDNN entry points Reelflow calls, declared here as
// function-pointer types so that nothing links against CUDA at build time: the CUDA backend
// dlopens libcuda.so.1, libnvrtc, libcublasLt and libcudnn at run time and looks each symbol
// up. Values and signatures follow the public CUDA 12/13 and cuDNN 9 headers (cuda.h, nvrtc.h,
// cublasLt.h, cudnn_graph.h, cudnn_ops.h, cudnn_cnn.h).
#ifndef REELFLOW_CCUDA_H
#define REELFLOW_CCUDA_H

#include <stddef.h>

// ---- driver API (cuda.h) ----
typedef int CUresult;                       // CUDA_SUCCESS = 0
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;

enum {
    REELFLOW_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    REELFLOW_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    REELFLOW_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
};

typedef CUresult (*PFN_cuInit)(unsigned int flags);
typedef CUresult (*PFN_cuDriverGetVersion)(int *version);
typedef CUresult (*PFN_cuDeviceGetCount)(int *count);
typedef CUresult (*PFN_cuDeviceGet)(CUdevice *device, int ordinal);
typedef CUresult (*PFN_cuDeviceGetName)(char *name, int length, CUdevice device);
typedef CUresult (*PFN_cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
typedef CUresult (*PFN_cuDeviceTotalMem)(size_t *bytes, CUdevice device);                 // cuDeviceTotalMem_v2
typedef CUresult (*PFN_cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
typedef CUresult (*PFN_cuCtxSetCurrent)(CUcontext context);
typedef CUresult (*PFN_cuCtxSynchronize)(void);
typedef CUresult (*PFN_cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);                  // cuMemAlloc_v2
typedef CUresult (*PFN_cuMemFree)(CUdeviceptr pointer);                                  // cuMemFree_v2
typedef CUresult (*PFN_cuMemcpyHtoD)(CUdeviceptr destination, const void *source, size_t bytes);  // _v2
typedef CUresult (*PFN_cuMemcpyDtoH)(void *destination, CUdeviceptr source, size_t bytes);        // _v2
typedef CUresult (*PFN_cuModuleLoadData)(CUmodule *module, const void *image);
typedef CUresult (*PFN_cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
typedef CUresult (*PFN_cuLaunchKernel)(
    CUfunction function, unsigned int gridX, unsigned int gridY, unsigned int gridZ,
    unsigned int blockX, unsigned int blockY, unsigned int blockZ, unsigned int sharedBytes,
    CUstream stream, void **parameters, void **extra);
typedef CUresult (*PFN_cuGetErrorString)(CUresult error, const char **text);

// Streams and stream-ordered memory (the driver's default memory pool caches freed blocks).
typedef struct CUmemPoolHandle_st *CUmemoryPool;
enum {
    REELFLOW_CU_STREAM_NON_BLOCKING = 1,
    REELFLOW_CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4,
    REELFLOW_CU_MEMPOOL_ATTR_USED_MEM_HIGH = 8,
};
typedef CUresult (*PFN_cuStreamCreate)(CUstream *stream, unsigned int flags);
typedef CUresult (*PFN_cuStreamSynchronize)(CUstream stream);
typedef CUresult (*PFN_cuMemAllocAsync)(CUdeviceptr *pointer, size_t bytes, CUstream stream);
typedef CUresult (*PFN_cuMemFreeAsync)(CUdeviceptr pointer, CUstream stream);
typedef CUresult (*PFN_cuMemcpyHtoDAsync)(CUdeviceptr destination, const void *source, size_t bytes, CUstream stream);  // _v2
typedef CUresult (*PFN_cuMemcpyDtoHAsync)(void *destination, CUdeviceptr source, size_t bytes, CUstream stream);        // _v2
typedef CUresult (*PFN_cuMemcpyDtoDAsync)(CUdeviceptr destination, CUdeviceptr source, size_t bytes, CUstream stream);  // _v2
typedef CUresult (*PFN_cuMemsetD8Async)(CUdeviceptr destination, unsigned char value, size_t count, CUstream stream);
typedef CUresult (*PFN_cuDeviceGetDefaultMemPool)(CUmemoryPool *pool, CUdevice device);
typedef CUresult (*PFN_cuMemPoolSetAttribute)(CUmemoryPool pool, int attribute, void *value);
typedef CUresult (*PFN_cuMemPoolGetAttribute)(CUmemoryPool pool, int attribute, void *value);
typedef CUresult (*PFN_cuMemHostAlloc)(void **pointer, size_t bytes, unsigned int flags);
typedef CUresult (*PFN_cuMemFreeHost)(void *pointer);
typedef CUresult (*PFN_cuFuncSetAttribute)(CUfunction function, int attribute, int value);
enum { REELFLOW_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8 };

// Events: the host waits for one staging buffer's copy while the next one fills.
typedef struct CUevent_st *CUevent;
enum { REELFLOW_CU_EVENT_DISABLE_TIMING = 2 };
typedef CUresult (*PFN_cuEventCreate)(CUevent *event, unsigned int flags);
typedef CUresult (*PFN_cuEventRecord)(CUevent event, CUstream stream);
typedef CUresult (*PFN_cuEventSynchronize)(CUevent event);

// ---- NVRTC (nvrtc.h) ----
typedef int nvrtcResult;                    // NVRTC_SUCCESS = 0
typedef struct _nvrtcProgram *nvrtcProgram;

typedef nvrtcResult (*PFN_nvrtcVersion)(int *major, int *minor);
typedef nvrtcResult (*PFN_nvrtcCreateProgram)(
    nvrtcProgram *program, const char *source, const char *name, int headerCount,
    const char *const *headers, const char *const *includeNames);
typedef nvrtcResult (*PFN_nvrtcCompileProgram)(nvrtcProgram program, int optionCount, const char *const *options);
typedef nvrtcResult (*PFN_nvrtcGetProgramLogSize)(nvrtcProgram program, size_t *bytes);
typedef nvrtcResult (*PFN_nvrtcGetProgramLog)(nvrtcProgram program, char *log);
typedef nvrtcResult (*PFN_nvrtcGetCUBINSize)(nvrtcProgram program, size_t *bytes);
typedef nvrtcResult (*PFN_nvrtcGetCUBIN)(nvrtcProgram program, char *cubin);
typedef nvrtcResult (*PFN_nvrtcDestroyProgram)(nvrtcProgram *program);
typedef const char *(*PFN_nvrtcGetErrorString)(nvrtcResult result);

// ---- cuBLASLt (cublasLt.h) ----
typedef int cublasStatus_t;                 // CUBLAS_STATUS_SUCCESS = 0
typedef struct cublasLtContext *cublasLtHandle_t;
typedef struct cublasLtMatmulDescOpaque_st *cublasLtMatmulDesc_t;
typedef struct cublasLtMatrixLayoutOpaque_st *cublasLtMatrixLayout_t;
enum {
    REELFLOW_CUDA_R_32F = 0,
    REELFLOW_CUDA_R_16F = 2,
    REELFLOW_CUDA_R_16BF = 14,
    REELFLOW_CUBLAS_COMPUTE_32F = 68,
    REELFLOW_CUBLASLT_MATMUL_DESC_TRANSA = 3,
    REELFLOW_CUBLASLT_MATMUL_DESC_TRANSB = 4,
    REELFLOW_CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
    REELFLOW_CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,
    REELFLOW_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26,
    REELFLOW_CUBLASLT_EPILOGUE_DEFAULT = 1,
    REELFLOW_CUBLASLT_EPILOGUE_BIAS = 4,
    REELFLOW_CUBLASLT_EPILOGUE_GELU = 32,
    REELFLOW_CUBLASLT_EPILOGUE_GELU_BIAS = 36,
    REELFLOW_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
    REELFLOW_CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6,
};
typedef size_t (*PFN_cublasLtGetVersion)(void);
typedef cublasStatus_t (*PFN_cublasLtCreate)(cublasLtHandle_t *handle);
typedef cublasStatus_t (*PFN_cublasLtMatmulDescCreate)(cublasLtMatmulDesc_t *desc, int computeType, int scaleType);
typedef cublasStatus_t (*PFN_cublasLtMatmulDescDestroy)(cublasLtMatmulDesc_t desc);
typedef cublasStatus_t (*PFN_cublasLtMatmulDescSetAttribute)(cublasLtMatmulDesc_t desc, int attribute, const void *value, size_t bytes);
typedef cublasStatus_t (*PFN_cublasLtMatrixLayoutCreate)(cublasLtMatrixLayout_t *layout, int type, unsigned long long rows, unsigned long long cols, long long ld);
typedef cublasStatus_t (*PFN_cublasLtMatrixLayoutDestroy)(cublasLtMatrixLayout_t layout);
typedef cublasStatus_t (*PFN_cublasLtMatrixLayoutSetAttribute)(cublasLtMatrixLayout_t layout, int attribute, const void *value, size_t bytes);
// algo may be NULL: cuBLASLt then runs its own heuristic within the given workspace.
typedef cublasStatus_t (*PFN_cublasLtMatmul)(
    cublasLtHandle_t handle, cublasLtMatmulDesc_t desc, const void *alpha, const void *a, cublasLtMatrixLayout_t aLayout,
    const void *b, cublasLtMatrixLayout_t bLayout, const void *beta, const void *c, cublasLtMatrixLayout_t cLayout,
    void *d, cublasLtMatrixLayout_t dLayout, const void *algo, void *workspace, size_t workspaceBytes, CUstream stream);

// ---- cuDNN 9 (the legacy convolution API: cudnn_graph.h, cudnn_ops.h, cudnn_cnn.h) ----
typedef int cudnnStatus_t;                  // CUDNN_STATUS_SUCCESS = 0
typedef struct cudnnContext *cudnnHandle_t;
typedef struct cudnnTensorStruct *cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct *cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct *cudnnConvolutionDescriptor_t;
enum {
    REELFLOW_CUDNN_DATA_FLOAT = 0,
    REELFLOW_CUDNN_DATA_HALF = 2,
    REELFLOW_CUDNN_DATA_BFLOAT16 = 9,
    REELFLOW_CUDNN_TENSOR_NCHW = 0,
    REELFLOW_CUDNN_TENSOR_NHWC = 1,
    REELFLOW_CUDNN_CROSS_CORRELATION = 1,
    REELFLOW_CUDNN_TENSOR_OP_MATH = 1,
    REELFLOW_CUDNN_FMA_MATH = 3,
};
// cudnnConvolutionFwdAlgoPerf_t
typedef struct {
    int algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    int determinism;
    int mathType;
    int reserved[3];
} ReelflowCudnnFwdAlgoPerf;
typedef size_t (*PFN_cudnnGetVersion)(void);
typedef const char *(*PFN_cudnnGetErrorString)(cudnnStatus_t status);
typedef cudnnStatus_t (*PFN_cudnnCreate)(cudnnHandle_t *handle);
typedef cudnnStatus_t (*PFN_cudnnSetStream)(cudnnHandle_t handle, CUstream stream);
typedef cudnnStatus_t (*PFN_cudnnCreateTensorDescriptor)(cudnnTensorDescriptor_t *desc);
typedef cudnnStatus_t (*PFN_cudnnDestroyTensorDescriptor)(cudnnTensorDescriptor_t desc);
typedef cudnnStatus_t (*PFN_cudnnSetTensorNdDescriptor)(
    cudnnTensorDescriptor_t desc, int dataType, int dims, const int *extents, const int *strides);
typedef cudnnStatus_t (*PFN_cudnnCreateFilterDescriptor)(cudnnFilterDescriptor_t *desc);
typedef cudnnStatus_t (*PFN_cudnnDestroyFilterDescriptor)(cudnnFilterDescriptor_t desc);
typedef cudnnStatus_t (*PFN_cudnnSetFilterNdDescriptor)(
    cudnnFilterDescriptor_t desc, int dataType, int format, int dims, const int *extents);
typedef cudnnStatus_t (*PFN_cudnnCreateConvolutionDescriptor)(cudnnConvolutionDescriptor_t *desc);
typedef cudnnStatus_t (*PFN_cudnnDestroyConvolutionDescriptor)(cudnnConvolutionDescriptor_t desc);
typedef cudnnStatus_t (*PFN_cudnnSetConvolutionNdDescriptor)(
    cudnnConvolutionDescriptor_t desc, int length, const int *padding, const int *strides, const int *dilations,
    int mode, int computeType);
typedef cudnnStatus_t (*PFN_cudnnSetConvolutionMathType)(cudnnConvolutionDescriptor_t desc, int mathType);
typedef cudnnStatus_t (*PFN_cudnnGetConvolutionForwardAlgorithm_v7)(
    cudnnHandle_t handle, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
    cudnnTensorDescriptor_t y, int requested, int *returned, ReelflowCudnnFwdAlgoPerf *results);
// Runs every algorithm once (cuDNN allocates what each needs) and returns them fastest first.
typedef cudnnStatus_t (*PFN_cudnnFindConvolutionForwardAlgorithm)(
    cudnnHandle_t handle, cudnnTensorDescriptor_t x, cudnnFilterDescriptor_t w, cudnnConvolutionDescriptor_t conv,
    cudnnTensorDescriptor_t y, int requested, int *returned, ReelflowCudnnFwdAlgoPerf *results);
typedef cudnnStatus_t (*PFN_cudnnConvolutionForward)(
    cudnnHandle_t handle, const void *alpha, cudnnTensorDescriptor_t xDesc, const void *x, cudnnFilterDescriptor_t wDesc,
    const void *w, cudnnConvolutionDescriptor_t conv, int algo, void *workspace, size_t workspaceBytes, const void *beta,
    cudnnTensorDescriptor_t yDesc, void *y);

#endif
