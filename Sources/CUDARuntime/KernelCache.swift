#if canImport(Glibc)
import Glibc
#endif

/// Compiled kernels on disk: NVRTC compiles a kernel source for a GPU architecture on first
/// use, and the cubin is kept under `<root>/<2 hex>/<key>.cubin`, keyed by everything that
/// decides its bytes (source, kernel name, architecture, options, NVRTC version). Beside it,
/// `<key>.key` holds that key material verbatim and is compared on every hit, so a hash
/// collision or a damaged entry means a recompile, never a wrong kernel. Entries are written
/// to a temporary file and renamed into place, so a crash leaves no half entry.
public struct KernelCache: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// `<REELFLOW_CACHE_DIR or $XDG_CACHE_HOME/reelflow or ~/.cache/reelflow>/kernels`, the
    /// folder beside the node cache's.
    public static func defaultRoot(environment: [String: String]? = nil) -> String {
        let environment = environment ?? Environment.current
        if let dir = environment["REELFLOW_CACHE_DIR"], !dir.isEmpty { return dir + "/kernels" }
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return xdg + "/reelflow/kernels" }
        return (environment["HOME"] ?? "/tmp") + "/.cache/reelflow/kernels"
    }

    /// What decides a cubin's bytes.
    public struct Key: Sendable, Equatable {
        public var source: String
        public var name: String
        public var architecture: Int
        public var options: [String]
        public var compilerVersion: String

        public init(source: String, name: String, architecture: Int, options: [String] = [], compilerVersion: String) {
            self.source = source
            self.name = name
            self.architecture = architecture
            self.options = options
            self.compilerVersion = compilerVersion
        }

        /// The key material, written beside the entry and compared on a hit.
        var material: String {
            "reelflow-kernel-v1\nname \(name)\narchitecture sm_\(architecture)\nnvrtc \(compilerVersion)\noptions \(options.joined(separator: " "))\nsource\n\(source)"
        }

        /// 32 hex digits: two 64-bit FNV-1a hashes of the material (with different offsets).
        var digest: String {
            var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x6c62_272e_07bb_0142
            for byte in material.utf8 {
                a = (a ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
                b = (b ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
            func hex(_ v: UInt64) -> String {
                let s = String(v, radix: 16)
                return String(repeating: "0", count: 16 - s.count) + s
            }
            return hex(a) + hex(b)
        }
    }

    /// The cubin for `key`: from disk when a sound entry exists, else from `compile`, then stored.
    /// - Returns: the cubin and whether it came from the cache.
    public func cubin(for key: Key, compile: (Key) throws -> [UInt8]) throws -> (cubin: [UInt8], cached: Bool) {
        let digest = key.digest
        let folder = root + "/" + digest.prefix(2)
        let base = folder + "/" + digest
        if let stored = Self.read(base + ".key"), stored == Array(key.material.utf8),
           let cubin = Self.read(base + ".cubin"), Self.isELF(cubin) {
            return (cubin, true)
        }
        let cubin = try compile(key)
        // A cache that cannot be written is not an error: the kernel still runs.
        if Self.makeFolders(folder) {
            _ = Self.writeAtomically(base + ".cubin", cubin) && Self.writeAtomically(base + ".key", Array(key.material.utf8))
        }
        return (cubin, false)
    }

    static func isELF(_ bytes: [UInt8]) -> Bool { bytes.count > 4 && bytes.prefix(4) == [0x7F, 0x45, 0x4C, 0x46] }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            if n == 0 { break }
            out.append(contentsOf: chunk.prefix(n))
        }
        return ferror(file) == 0 ? out : nil
    }

    static func makeFolders(_ path: String) -> Bool {
        var prefix = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST { return false }
        }
        return true
    }

    static func writeAtomically(_ path: String, _ bytes: [UInt8]) -> Bool {
        let temporary = path + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard let file = fopen(temporary, "wb") else { return false }
        let written = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        let flushed = fflush(file) == 0 && fsync(fileno(file)) == 0
        fclose(file)
        guard written == bytes.count, flushed, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }
}
