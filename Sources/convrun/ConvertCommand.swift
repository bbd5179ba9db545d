import ArgumentParser
import C1D

extension DType: ExpressibleByArgument {}
extension Codec: ExpressibleByArgument {}

struct ConvertCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convert",
    abstract: "Re-encode a model's tensors (dtype, codec, compression level).",
    discussion: """
      Unchanged options keep each tensor as stored. The output is written atomically: an existing file
      is replaced only once the new one is complete.

      Example:
        convrun convert in.c1d out.c1d --dtype f16 --codec shuffle-deflate --level 9
      """
  )

  @Argument(help: "The .c1d model to read.") var input: String
  @Argument(help: "Where to write the re-encoded model.") var output: String
  @Option(help: "Storage dtype: f32, f16 or bf16.") var dtype: DType?
  @Option(help: "Codec: none, deflate or shuffle-deflate.") var codec: Codec?
  @Option(help: "zlib compression level, 0-9.") var level: Int?

  func validate() throws {
    if let level, !(0...9).contains(level) { throw ValidationError("--level must be 0-9, got \(level)") }
  }

  func run() throws {
    let model = try Model(contentsOf: input)
    try model.save(to: output, options: SaveOptions(dtype: dtype, codec: codec, level: level))
    let before = try Files.read(input).count
    let after = try Files.read(output).count
    print("wrote \(output): \(after) bytes (was \(before))")
  }
}
