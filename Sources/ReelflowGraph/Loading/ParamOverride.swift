import Yams

/// One `--set name=value` from the command line.
///
/// The value is read as a YAML scalar and must fit the param's declared type (the type of
/// its literal in the graph): an INT param takes `7`, a FLOAT param `0.5` or `1`, a BOOL
/// param `true`/`false`; a STRING param takes any text as written. A path given to a
/// STRING param stays relative to the graph file, like the value it replaces.
public struct ParamOverride: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `name=value` (the value may itself contain `=`).
    /// - Throws: `GraphDiagnostics` when there is no `=` or no name.
    public init(parsing argument: String) throws(GraphDiagnostics) {
        guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
            throw GraphDiagnostics(message: "--set \(argument): expected NAME=VALUE, e.g. --set seed=7")
        }
        name = String(argument[..<equals])
        value = String(argument[argument.index(after: equals)...])
    }

    /// Applies the override to `param`, or explains why the value does not fit.
    func apply(to param: ParamValue) throws(GraphDiagnostics) -> ParamValue {
        let scalar: YAMLScalar
        if let composed = try? Yams.compose(yaml: value, .basic), case .scalar(let node)? = try? YAMLNode.converting(composed) {
            scalar = YAMLScalar(node, text: node.string)
        } else {
            scalar = .string(value)
        }
        var updated = param
        updated.override = value
        updated.text = value
        switch (param.scalar, scalar) {
        case (.int, .int), (.float, .float), (.bool, .bool):
            updated.scalar = scalar
        case (.float, .int(let int)):
            updated.scalar = .float(Double(int))
        case (.string, _), (.null, _):
            updated.scalar = .string(value)
        default:
            let got = if case .string = scalar { "'\(value)'" } else { "\(scalar.typeName) \(value)" }
            throw GraphDiagnostics(
                message: "--set \(name)=\(value): param '\(name)' is \(param.scalar.typeName), got \(got)")
        }
        return updated
    }
}
