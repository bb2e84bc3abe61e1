// Output files are written through ReelflowIO's atomic writer; re-exported so model and
// media code that imports Tensors has it too.
@_exported import ReelflowIO
