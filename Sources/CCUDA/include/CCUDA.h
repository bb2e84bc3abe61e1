// The few CUDA driver, NVRTC and cuBLASLt entry points Reelflow calls, declared here as
// function-pointer types so that nothing links against CUDA at build time: the CUDA backend
// dlopens libcuda.so.1, libnvrtc and libcublasLt at run time and looks each symbol up.
// Values and signatures follow the public CUDA 12/13 headers (cuda.h, nvrtc.h, cublasLt.h).
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
typedef size_t (*PFN_cublasLtGetVersion)(void);

#endif
