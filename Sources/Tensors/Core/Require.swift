/// Stops the process with `message` when `condition` is false: Swift's `precondition`, but the
/// message survives optimised builds. `precondition` drops it under `-O`, so a release
/// `reelflow` given a tensor of the wrong shape or on the wrong device stopped with only
/// "Illegal instruction"; with `require` it says which op, which shapes. The message is built
/// only when the check fails.
@inlinable @inline(__always)
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
    file: StaticString = #fileID, line: UInt = #line
) {
    if _slowPath(!condition()) { fatalError(message(), file: file, line: line) }
}
