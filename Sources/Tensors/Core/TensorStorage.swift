/// The memory behind a tensor, owned by the backend of its device: host memory for `.cpu`
/// (`HostStorage`), device memory for a GPU backend. A reference type; `Tensor` is the value
/// around it.
///
/// Tensors share storage freely: every op returns a tensor with new storage, and the few
/// mutating `Tensor` members copy the storage first unless the tensor holds the only
/// reference (copy-on-write), so a storage that two tensors see is never written.
public protocol TensorStorage: AnyObject, Sendable {
    /// The device the bytes live on.
    var device: Device { get }
    /// Bytes held (element count times the element size).
    var byteCount: Int { get }
}
