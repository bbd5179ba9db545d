extension RunJob {
  /// The plain run, `MODEL INPUT… [-o PATH] [--threads N] [--json] [--force] [--timings]`, read without
  /// swift-argument-parser's parse.
  ///
  /// The library's first parse of a process builds every property's definition through reflection and
  /// protocol-conformance lookups: about 2.5 ms, a third of a small model's whole process (issue 16); even
  /// making a `RunCommand` value, whose properties are the library's wrappers, cost about 0.25 ms.
  /// Only these few spellings are read here; anything else (another flag, `--`, `-oVALUE`, a repeated
  /// option, a number that does not parse, a value the checks refuse) returns nil and goes through the
  /// library, so its messages and help stay the library's own. `PlainArgumentsTests` holds this reading
  /// to the library's on every form it takes.
  static func plain(_ arguments: [String]) -> RunJob? {
    var positionals: [String] = []
    var output: String?
    var threads: Int?
    var json = false
    var force = false
    var timings = false
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
      case "--timings" where attached == nil && !timings: timings = true
      default: return nil
      }
    }
    guard let model = positionals.first else { return nil }
    return makeValidated(
      model: model, inputs: Array(positionals.dropFirst()), output: output, threads: threads, json: json, force: force,
      timings: timings)
  }

  /// `--name=value` as ("--name", "value"); any other word as (word, nil).
  private static func splitAttachedValue(_ token: String) -> (String, String?) {
    guard token.hasPrefix("--"), let equals = token.firstIndex(of: "=") else { return (token, nil) }
    return (String(token[..<equals]), String(token[token.index(after: equals)...]))
  }

  /// The job, or nil when its checks refuse it (the library then says why).
  private static func makeValidated(
    model: String, inputs: [String], output: String?, threads: Int?, json: Bool, force: Bool, timings: Bool
  ) -> RunJob? {
    let job = RunJob(
      model: model, inputs: inputs, output: output, outputFormat: nil, force: force, json: json, timings: timings,
      input: InputSettings(), runtime: RuntimeSettings(threads: threads, memoryLimit: nil))
    do { try job.check() } catch { return nil }
    return job
  }
}
