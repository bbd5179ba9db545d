import ArgumentParser

extension RunCommand {
  /// The plain run, `MODEL INPUT… [-o PATH] [--threads N] [--json] [--force]`, read without
  /// swift-argument-parser's parse.
  ///
  /// The library's first parse of a process builds every property's definition through reflection and
  /// protocol-conformance lookups: about 2.5 ms, a third of a small model's whole process (issue 16).
  /// Only these few spellings are read here; anything else (another flag, `--`, `-oVALUE`, a repeated
  /// option, a number that does not parse, a value the checks refuse) returns nil and goes through the
  /// library, so its messages and help stay the library's own. `PlainArgumentsTests` holds this reading
  /// to the library's on every form it takes.
  static func plain(_ arguments: [String]) -> RunCommand? {
    var positionals: [String] = []
    var output: String?
    var threads: Int?
    var json = false
    var force = false
    var remaining = arguments[...]
    while let token = remaining.popFirst() {
      guard token.hasPrefix("-"), token != "-" else {
        positionals.append(token)
        continue
      }
      let (name, attached) = splitAttachedValue(token)
      switch name {
      case "-o", "--output":
        // `-o VALUE` takes the next word only when it is not itself an option (the library's `.next`).
        guard output == nil, let value = attached ?? remaining.popFirst(), value == "-" || !value.hasPrefix("-"),
          name == "--output" || attached == nil
        else { return nil }
        output = value
      case "--threads":
        // `.unconditional`: the next word whatever it is, read as an Int as the library reads it.
        guard threads == nil, let value = attached ?? remaining.popFirst(), let count = Int(value) else { return nil }
        threads = count
      case "--json" where attached == nil && !json: json = true
      case "--force" where attached == nil && !force: force = true
      default: return nil
      }
    }
    guard let model = positionals.first else { return nil }
    return makeValidated(model: model, inputs: Array(positionals.dropFirst()), output: output, threads: threads, json: json, force: force)
  }

  /// `--name=value` as ("--name", "value"); any other word as (word, nil).
  private static func splitAttachedValue(_ token: String) -> (String, String?) {
    guard token.hasPrefix("--"), let equals = token.firstIndex(of: "=") else { return (token, nil) }
    return (String(token[..<equals]), String(token[token.index(after: equals)...]))
  }

  /// A command with every property set, as the library's parse leaves it, or nil when the checks refuse it.
  private static func makeValidated(model: String, inputs: [String], output: String?, threads: Int?, json: Bool, force: Bool) -> RunCommand? {
    var inputOptions = InputOptions()
    inputOptions.shape = nil
    inputOptions.allowNonfinite = false
    inputOptions.ignoreSampleRate = false
    var runtime = RuntimeOptions()
    runtime.threads = threads
    runtime.memoryLimit = nil
    var command = RunCommand()
    command.model = model
    command.inputs = inputs
    command.output = output
    command.outputFormat = nil
    command.force = force
    command.json = json
    command.inputOptions = inputOptions
    command.runtime = runtime
    do {
      try inputOptions.validate()
      try runtime.validate()
      try command.validate()
    } catch {
      return nil
    }
    return command
  }
}
