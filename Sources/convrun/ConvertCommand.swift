import ArgumentParser
import C1D
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

extension DType: ExpressibleByArgument {}
extension Codec: ExpressibleByArgument {}

struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Re-encode a model's tensors (dtype, codec, compression level).",
    discussion: """
      Unchanged options keep each tensor as stored. The output is written atomically: an existing file \
      is replaced only once the new one is complete.

      Example:
        convrun convert in.c1d out.c1d --dtype f16 --codec shuffle-deflate --level 9
      """
  )

  @Argument(help: "The .c1d model to read.") var input: String
  @Argument(help: "Where to write the re-encoded model.") var output: String
  @Option(help: "Storage dtype: f32, f16 or bf16.") var dtype: DType?
  @Option(help: "Codec: none, deflate or shuffle-deflate (a tensor that deflates nowhere is stored as none).") var codec: Codec?
  @Option(help: "zlib compression level, 0-9.") var level: Int?
  @Flag(help: "Replace a read-only output file.") var force = false

  func validate() throws {
    if let level, !(0...9).contains(level) { throw ValidationError("--level must be 0-9, got \(level)") }
  }

  func run() throws {
    let model = try ModelFile.load(input)
    try OutputFile.check(output, force: force)
    // Measured before saving: in place (`convert x x`) the old size is gone afterwards.
    let before = fileSize(input)
    try model.save(to: output, options: SaveOptions(dtype: dtype, codec: codec, level: level))
    print("wrote \(output): \(fileSize(output)) bytes (was \(before))")
    if let codec, codec != .none, let note = try storedAsNone(asked: codec) { print(note) }
  }

  /// How many tensors the writer stored as none although `asked` was given: those no piece of which
  /// deflates by 1/8 (float32 weights under `deflate`), said so that the file's codecs are no surprise.
  private func storedAsNone(asked: Codec) throws -> String? {
    // Weights prepared per run: reading the header is all this needs, not decoding every tensor again.
    let written = try ModelFile.load(output, threads: 1, preparing: .perRun)
    let names = Set(written.graph.nodes.flatMap { $0.parameters.values })
    let none = names.filter { written.storage(of: $0)?.codec == Codec.none }.count
    guard none > 0 else { return nil }
    return "\(none) of \(names.count) tensors stored as none: \(asked.rawValue) does not shrink them by 1/8 (they load in place)"
  }

  private func fileSize(_ path: String) -> Int {
    POSIXFile.status(path).map { Int($0.st_size) } ?? 0
  }
}
