import ArgumentParser
import C1D
import ConvRunAudio
#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run a model on input files (the default subcommand).",
    discussion: """
      Inputs are recognised by content: .npy (float16/32/64, 2-D (C, L) or 3-D (N, C, L)); audio (WAV, \
      FLAC, Ogg, MP3, AIFF through libsndfile) as (1, channels, frames), scaled as libsndfile scales it, with \
      channels and sample rate checked against the model and no resampling; otherwise raw little-endian \
      float32 in C order (N, C_in, L), with C_in from the model and L from its fixed length if it has one \
      (else N = 1), or --shape. `-` reads stdin. Inputs holding NaN or infinities are refused.

      Several inputs load the model once; with -o DIR/ each writes DIR/<name>.<format>.

      Examples:
        convrun model.c1d input.bin
        convrun model.c1d speech.wav -o denoised.wav
        convrun model.c1d a.wav b.wav c.npy -o outdir/
        cat input.npy | convrun model.c1d - -o - --output-format npy > output.npy
        convrun model.c1d input.bin --shape 20,16,50 --json --threads=2
      """
  )

  @Argument(help: "The .c1d model.") var model: String
  @Argument(help: "Input files (.npy, audio, or raw float32); - reads stdin.") var inputs: [String]
  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Write outputs here: a file (.npy, .wav, raw for any other extension), DIR/ (created) or - (stdout).",
      discussion: "With several graph outputs, each goes to NAME.<output>.EXT."))
  var output: String?
  @Option(help: "Output format: npy, raw or wav (default: from -o's extension; raw on stdout, npy in a directory).")
  var outputFormat: OutputFormat?
  @Flag(help: "Replace read-only output files.") var force = false
  @Flag(help: "Print a machine-readable summary (one JSON object per input) instead of the text one.") var json = false
  @Flag(help: "Print where each input's time went (model load, reading the input, the run, writing) on stderr.")
  var timings = false
  @OptionGroup var inputOptions: InputOptions
  @OptionGroup var runtime: RuntimeOptions

  func validate() throws {
    do { try job.checkArguments() } catch let error as CLIError { throw ValidationError(error.description) }
  }

  func run() throws { try job.run() }

  /// The parsed command as the plain value that runs it.
  var job: RunJob {
    RunJob(
      model: model, inputs: inputs, output: output, outputFormat: outputFormat, force: force, json: json,
      timings: timings, input: inputOptions.settings, runtime: runtime.settings)
  }
}

extension Duration {
  var milliseconds: Double {
    Double(components.seconds) * 1e3 + Double(components.attoseconds) * 1e-15
  }
}
