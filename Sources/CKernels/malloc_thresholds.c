// glibc's malloc thresholds, set from Swift (its Glibc module does not export <malloc.h>).
#include "CKernels.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int reelflow_set_malloc_thresholds(int mmap_threshold, int trim_threshold) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) == 1 && mallopt(M_TRIM_THRESHOLD, trim_threshold) == 1;
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}
