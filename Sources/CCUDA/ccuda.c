// CCUDA holds declarations only (include/CCUDA.h); this file gives SwiftPM a source to build.
#include "CCUDA.h"
