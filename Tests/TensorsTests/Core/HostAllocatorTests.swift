import Testing
@testable import Tensors

/// glibc's malloc thresholds are fixed unless the environment sets them or turns the tuning off.
struct HostAllocatorTests {
    @Test func theEnvironmentDecidesWhenItSetsTheThresholds() {
        #expect(!HostAllocator.leftToEnvironment([:]))
        #expect(!HostAllocator.leftToEnvironment(["GLIBC_TUNABLES": "glibc.cpu.hwcaps=-AVX512F"]))
        #expect(HostAllocator.leftToEnvironment(["REELFLOW_MALLOC_TUNING": "0"]))
        #expect(HostAllocator.leftToEnvironment(["MALLOC_MMAP_THRESHOLD_": "65536"]))
        #expect(HostAllocator.leftToEnvironment(["MALLOC_TRIM_THRESHOLD_": "65536"]))
        #expect(HostAllocator.leftToEnvironment(["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1"]))
        #expect(!HostAllocator.tune(environment: ["REELFLOW_MALLOC_TUNING": "0"]), "left alone")
    }

    #if canImport(Glibc)
        /// glibc takes both settings (mallopt returns 1 for each).
        @Test func glibcTakesTheThresholds() {
            #expect(HostAllocator.tune(environment: [:]))
        }
    #endif
}
