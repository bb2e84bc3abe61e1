import Foundation
import ReelflowEngine
import Synchronization

/// Human output. On a TTY: one permanent line per node state change, plus a status line
/// at the bottom (running nodes and a step progress bar) redrawn in place. Otherwise plain
/// lines, with progress throttled to every 10%.
final class TextEventSink: EngineEventSink {
    private struct State {
        var running: [String] = []
        var progress: [String: (Int, Int)] = [:]
        var lastPlainPercent: [String: Int] = [:]
        var statusShown = false
    }

    private let tty: Bool
    private let state = Mutex(State())

    init(tty: Bool) { self.tty = tty }

    func handle(_ event: EngineEvent) {
        state.withLock { st in
            switch event {
            case .planned(let nodes):
                line("plan: \(nodes.count) node\(nodes.count == 1 ? "" : "s")", &st)
            case .cached(let node, let type):
                line("cached   \(node) (\(type))", &st)
            case .started(let node, let type):
                st.running.append(node)
                line("run      \(node) (\(type))", &st)
            case .progress(let node, let completed, let total, let message):
                st.progress[node] = (completed, total)
                if !tty {
                    let percent = total > 0 ? completed * 100 / total : 0
                    if percent / 10 > (st.lastPlainPercent[node] ?? -1) / 10 || completed == total {
                        st.lastPlainPercent[node] = percent
                        line("progress \(node) \(completed)/\(total)" + (message.map { " \($0)" } ?? ""), &st)
                    }
                }
            case .finished(let node, let type, let seconds, let cutoff):
                st.running.removeAll { $0 == node }
                st.progress[node] = nil
                let note = cutoff ? ", same result as before: dependents stay cached" : ""
                line("done     \(node) (\(type)) in \(String(format: "%.2f", seconds))s\(note)", &st)
            case .failed(let node, let type, let message):
                st.running.removeAll { $0 == node }
                line("FAILED   \(node) (\(type)): \(message)", &st)
            case .cancelled(let node, let type):
                st.running.removeAll { $0 == node }
                line("stopped  \(node) (\(type))", &st)
            case .damaged(let node, let reason):
                line("damaged  \(node): \(reason)", &st)
            case .output(let node, let name, let summary):
                line("output   \(node).\(name) = \(summary)", &st)
            case .runFinished(let ran, let cached, let seconds, let error):
                line("\(error == nil ? "finished" : "stopped"): \(ran) ran, \(cached) cached, \(String(format: "%.2f", seconds))s", &st)
            }
            if tty { drawStatus(&st) }
        }
    }

    private func line(_ text: String, _ st: inout State) {
        if tty && st.statusShown {
            Terminal.write("\r\u{1B}[K")
            st.statusShown = false
        }
        Terminal.printLine(text)
    }

    private func drawStatus(_ st: inout State) {
        guard !st.running.isEmpty else {
            if st.statusShown { Terminal.write("\r\u{1B}[K") }
            st.statusShown = false
            return
        }
        var parts: [String] = []
        for node in st.running {
            if let (done, total) = st.progress[node], total > 0 {
                let width = 20
                let filled = min(width, done * width / total)
                parts.append("\(node) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(done)/\(total)")
            } else {
                parts.append("\(node) ...")
            }
        }
        Terminal.write("\r\u{1B}[K" + parts.joined(separator: "  "))
        st.statusShown = true
    }
}
