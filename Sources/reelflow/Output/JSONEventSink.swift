import Foundation
import ReelflowEngine

/// `--json`: one JSON object per event and line (NDJSON), for scripts and UIs.
/// Every object has `event` and `t` (seconds since the run started).
final class JSONEventSink: EngineEventSink {
    private let start = ContinuousClock.now

    func handle(_ event: EngineEvent) {
        var object: [String: Any] = ["t": Double(round((ContinuousClock.now - start).seconds * 1e6) / 1e6)]
        switch event {
        case .planned(let nodes):
            object["event"] = "planned"
            object["nodes"] = nodes.map { ["node": $0.id, "type": $0.type] }
        case .cached(let node, let type):
            object.merge(["event": "cached", "node": node, "type": type]) { $1 }
        case .started(let node, let type):
            object.merge(["event": "started", "node": node, "type": type]) { $1 }
        case .progress(let node, let completed, let total, let message):
            object.merge(["event": "progress", "node": node, "completed": completed, "total": total]) { $1 }
            if let message { object["message"] = message }
        case .finished(let node, let type, let seconds, let cutoff):
            object.merge(["event": "finished", "node": node, "type": type, "seconds": seconds, "cutoff": cutoff]) { $1 }
        case .failed(let node, let type, let message):
            object.merge(["event": "failed", "node": node, "type": type, "message": message]) { $1 }
        case .cancelled(let node, let type):
            object.merge(["event": "cancelled", "node": node, "type": type]) { $1 }
        case .damaged(let node, let reason):
            object.merge(["event": "damaged", "node": node, "reason": reason]) { $1 }
        case .output(let node, let name, let summary):
            object.merge(["event": "output", "node": node, "output": name, "value": summary]) { $1 }
        case .runFinished(let ran, let cached, let seconds, let error):
            object.merge(["event": "run-finished", "ran": ran, "cached": cached, "seconds": seconds,
                          "ok": error == nil]) { $1 }
            if let error { object["error"] = error }
        }
        emit(object)
    }

    func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]),
            let line = String(data: data, encoding: .utf8)
        else { return }
        Terminal.printLine(line)
    }
}
