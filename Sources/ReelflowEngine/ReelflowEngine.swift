import ReelflowGraph
// Engine: executor, scheduler, cache store, progress events.
