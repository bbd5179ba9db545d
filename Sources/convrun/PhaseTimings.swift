/// Where one input's time went in a `convrun` run, as `--timings` prints it and `--json` records it: the
/// model's load (once per invocation, so only the first input's timings carry it), reading the input,
/// the run, and writing the outputs. Start-up and exit lie outside: a whole process also pays them.
struct PhaseTimings: Equatable {
  /// nil for every input after the first, which reuse the loaded model.
  var load: Duration?
  var input: Duration
  var run: Duration
  var write: Duration

  /// `timings: load 14.712 ms, input 0.281 ms, run 48.300 ms, write 0.402 ms`, naming the input when
  /// there are several.
  func text(input name: String? = nil) -> String {
    let phases = [("load", load), ("input", input), ("run", run), ("write", write)].compactMap { label, time in
      time.map { "\(label) \(NumberText.fixed($0.milliseconds, places: 3)) ms" }
    }
    return "timings\(name.map { " (\($0))" } ?? ""): " + phases.joined(separator: ", ")
  }

  /// The JSON fields beside `milliseconds` (the run): `"load_ms"` (null after the first input),
  /// `"input_ms"` and `"write_ms"`.
  var jsonFields: [String] {
    ["\"load_ms\":\(load.map { "\($0.milliseconds)" } ?? "null")", "\"input_ms\":\(input.milliseconds)",
     "\"write_ms\":\(write.milliseconds)"]
  }
}
