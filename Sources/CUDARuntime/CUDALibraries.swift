import CCUDA
#if canImport(Glibc)
import Glibc
#endif

/// Finds and opens the CUDA libraries at run time (nothing links against CUDA at build time).
/// Looked for, in order: the folders of `REELFLOW_CUDA_PATH` (colon-separated), the usual
/// system places, the NVIDIA pip packages' folders of the Python environments in sight, then
/// the dynamic loader's own search (LD_LIBRARY_PATH, ldconfig).
public struct CUDALibraries: Sendable {
    /// A library that could not be opened, with every place tried.
    public struct Missing: Error, CustomStringConvertible, Sendable {
        public var library: String
        /// Files found but not loadable, then the loader's own search.
        public var tried: [String]
        /// Every folder searched before the loader's path.
        public var folders: [String]
        public var description: String {
            "\(library) not found; searched \(folders.count) folders (REELFLOW_CUDA_PATH, CUDA_HOME, /usr/local/cuda*, "
                + "/usr/lib/x86_64-linux-gnu, the NVIDIA pip packages' nvidia/*/lib) and the dynamic loader's path"
                + (tried.isEmpty ? "" : "; could not load: " + tried.joined(separator: ", "))
                + ". Set REELFLOW_CUDA_PATH to the folder holding it."
        }
    }

    /// An opened library: its handle and the path it came from.
    struct Opened: @unchecked Sendable {
        let handle: UnsafeMutableRawPointer
        let path: String

        /// The symbol `name`, or nil.
        func symbol(_ name: String) -> UnsafeMutableRawPointer? { dlsym(handle, name) }

        /// The function `name` as the C function-pointer type `T`.
        /// - Throws: `CUDAError` naming the library and the symbol it lacks.
        func function<T>(_ name: String, _: T.Type) throws -> T {
            guard let p = dlsym(handle, name) else { throw CUDAError("\(path) has no \(name) (too old a version?)") }
            return unsafeBitCast(p, to: T.self)
        }
    }

    /// Folders searched before the loader's own path.
    static func searchFolders(environment: [String: String] = Environment.current) -> [String] {
        var folders = (environment["REELFLOW_CUDA_PATH"] ?? "").split(separator: ":").map(String.init)
        if let home = environment["CUDA_HOME"] ?? environment["CUDA_PATH"] { folders += [home + "/lib64", home + "/targets/x86_64-linux/lib"] }
        folders += ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib"]
        for version in ["13.0", "13.1", "12.9", "12.8", "12.6", "12.4"] {
            folders.append("/usr/local/cuda-\(version)/targets/x86_64-linux/lib")
        }
        folders += ["/usr/lib/x86_64-linux-gnu", "/usr/local/nvidia/lib64"]
        // NVIDIA's pip wheels: site-packages/nvidia/{cu13,cuda_nvrtc,cublas,...}/lib.
        var sites: [String] = []
        if let venv = environment["VIRTUAL_ENV"] { sites.append(venv) }
        sites += ["/usr/local", "/usr", "/opt/venv", (environment["HOME"] ?? "/root") + "/.local"]
        for site in sites {
            for python in Environment.entries(of: site + "/lib") where python.hasPrefix("python3") {
                for packages in ["site-packages", "dist-packages"] {
                    let nvidia = "\(site)/lib/\(python)/\(packages)/nvidia"
                    for sub in Environment.entries(of: nvidia) {
                        folders.append("\(nvidia)/\(sub)/lib")
                    }
                }
            }
        }
        return folders
    }

    /// Opens the first of `names` found in the search folders, then through the loader.
    static func open(_ names: [String], environment: [String: String] = Environment.current) throws(Missing) -> Opened {
        var tried: [String] = []
        let folders = searchFolders(environment: environment)
        for folder in folders {
            for name in names {
                let path = folder + "/" + name
                guard access(path, F_OK) == 0 else { continue }
                tried.append(path)
                if let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) { return Opened(handle: handle, path: path) }
            }
        }
        for name in names {
            if let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) { return Opened(handle: handle, path: name) }
        }
        throw Missing(library: names.joined(separator: " or "), tried: tried, folders: folders)
    }
}

/// The few process and file-system facts the loader needs, without Foundation (so the
/// CUDA runtime links into a small probe binary for the GPU machine).
enum Environment {
    /// The process environment.
    static var current: [String: String] {
        var out: [String: String] = [:]
        var p = environ
        while let entry = p.pointee {
            let text = String(cString: entry)
            if let eq = text.firstIndex(of: "=") { out[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
            p += 1
        }
        return out
    }

    /// The names in a directory (none when it cannot be read).
    static func entries(of path: String) -> [String] {
        guard let dir = opendir(path) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
