import Glibc
/// The streaming path of large conversions to float32: the stored bytes are read with `pread`
/// in chunks into a small per-thread staging buffer that stays in the core's cache, and
/// converted from there, with the threads taking chunks in file order.
///
/// Why not convert straight from the memory mapping: touching a mapped file costs a page-table
/// entry per 4 KiB page (a fault, or `MADV_POPULATE_READ`, which still walks every page), and
/// measured on this machine that capped reading a 1 GiB bf16 file through the mapping at
/// 0.5-0.8x the bandwidth of `cat FILE > /dev/null`, even with the data in the page cache and
/// before any conversion. `pread` copies from the page cache without touching the page tables,
/// as `cat` does, and two threads each copying and converting their own chunks beat one `cat`.
enum StreamedConversion {
    /// Bytes read per `pread` into a staging buffer: small enough that the buffer stays in a
    /// core's L2 cache (512 KiB here) while it is converted, large enough that the system call
    /// costs little (`cat` reads 128 KiB at a time).
    static let chunkBytes = Int(String(cString: getenv("REELFLOW_ST_CHUNK") ?? strdup("262144")))!
    /// Conversions of at least this many stored bytes take the streaming path.
    static let threshold = 1 << 20

    /// Converts `count` elements of `dtype` stored at file offset `offset` of `file` into
    /// `destination`. Chunks the system fails to deliver are converted from the mapping.
    static func convert(_ dtype: DType, in file: MappedFile, at offset: Int, count: Int, to destination: UnsafeMutablePointer<Float>) {
        let size = dtype.byteSize
        let elementsPerChunk = max(1, chunkBytes / size)
        let chunks = (count + elementsPerChunk - 1) / elementsPerChunk
        let workers = min(TensorThreads.count, chunks)
        // float32 is read straight into the destination; other dtypes go through staging.
        let staging = dtype == .f32 ? nil : UnsafeMutableRawPointer.allocate(byteCount: workers * elementsPerChunk * size, alignment: 64)
        defer { staging?.deallocate() }
        // Pointers cross into the workers as integers; each chunk writes a disjoint range.
        let stagingAddress = Int(bitPattern: staging), destinationAddress = Int(bitPattern: destination)
        if getenv("REELFLOW_ST_PREAD") == nil {
            parallelForEach(chunks, workers: workers) { chunk, worker in
                let first = chunk * elementsPerChunk
                let n = min(elementsPerChunk, count - first)
                let out = UnsafeMutablePointer<Float>(bitPattern: destinationAddress)! + first
                let fileOffset = offset + first * size
                file.populate(fileOffset..<(fileOffset + n * size))
                StoredScalarConversion.convertSerially(dtype, from: file.bytes.baseAddress! + fileOffset, count: n, to: out)
            }
            return
        }
        parallelForEach(chunks, workers: workers) { chunk, worker in
            let first = chunk * elementsPerChunk
            let n = min(elementsPerChunk, count - first)
            let out = UnsafeMutablePointer<Float>(bitPattern: destinationAddress)! + first
            let fileOffset = offset + first * size
            if dtype == .f32 {
                if !file.read(into: UnsafeMutableRawPointer(out), count: n * 4, at: fileOffset) {
                    StoredScalarConversion.convertSerially(dtype, from: file.bytes.baseAddress! + fileOffset, count: n, to: out)
                }
                return
            }
            let buffer = UnsafeMutableRawPointer(bitPattern: stagingAddress)! + worker * elementsPerChunk * size
            if file.read(into: buffer, count: n * size, at: fileOffset) {
                StoredScalarConversion.convertSerially(dtype, from: UnsafeRawPointer(buffer), count: n, to: out)
            } else {
                StoredScalarConversion.convertSerially(dtype, from: file.bytes.baseAddress! + fileOffset, count: n, to: out)
            }
        }
    }
}
