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

@main
struct ConvRun: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "convrun",
    abstract: "Run, inspect, validate and convert .c1d conv1d models.",
    discussion: """
      With no subcommand, runs a model:  convrun model.c1d input.bin

      Exit status: 0 on success, 1 for a bad model or input file, 2 for a usage error.
      """,
    version: "0.1.0",
    subcommands: [RunCommand.self, InspectCommand.self, ValidateCommand.self, ConvertCommand.self, BenchCommand.self, StreamCommand.self, ProfileCommand.self],
    defaultSubcommand: RunCommand.self
  )

  /// Maps errors to the documented exit codes: 1 for files and inputs, 2 for usage.
  static func main() {
    Model.keepFreedMemoryForReuse()
    do {
      let arguments = commandLineArguments()
      if let job = plainRun(arguments) {
        try job.run()
      } else {
        var command = try parseRunDirectly(arguments) ?? parseAsRoot(arguments)
        try command.run()
      }
    } catch let error as C1DError {
      printError("error: \(error)")
      terminate(1)
    } catch let error as AudioError {
      printError("error: \(error)")
      terminate(1)
    } catch let error as CLIError {
      printError("error: \(error)")
      terminate(error.exitCode)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        print(fullMessage(for: error))
        terminate(0)
      }
      printError(fullMessage(for: error))
      terminate(code == .failure ? 1 : 2)
    }
  }
}

extension ConvRun {
  /// The plain run (`MODEL INPUT… [-o PATH] [--threads N] [--json] [--force] [--timings]`) read without the argument
  /// parser at all (see `RunJob.plain`); nil for anything else, and for a first word that names a
  /// subcommand or is an option.
  static func plainRun(_ arguments: [String]) -> RunJob? {
    guard startsWithModel(arguments) else { return nil }
    return RunJob.plain(arguments)
  }

  /// The default subcommand parsed on its own when the arguments run a model: the root's parse also builds
  /// every subcommand's and the completion generator's arguments (through reflection the first time),
  /// about 1–2 ms of a small model's whole process. Whatever this parse refuses (help, `--version`, a
  /// mistake) goes through the root, so messages and help are the root's.
  static func parseRunDirectly(_ arguments: [String]) -> ParsableCommand? {
    guard startsWithModel(arguments) else { return nil }
    // (`--help` parses as a HelpCommand: only a RunCommand is taken.)
    return (try? RunCommand.parseAsRoot(arguments)) as? RunCommand
  }

  /// Whether the first word is neither a subcommand's name nor an option: a model to run.
  private static func startsWithModel(_ arguments: [String]) -> Bool {
    guard let first = arguments.first, !first.hasPrefix("-") else { return false }
    return !subcommandNames.contains(first) && first != "help"
  }

  /// The subcommands' names, spelled out: reading them from `configuration` builds the whole command
  /// tree's configuration on a plain run's path. A test checks them against `configuration`.
  static let subcommandNames = ["run", "inspect", "validate", "convert", "bench", "stream", "profile"]
}

/// `CommandLine.arguments.dropFirst()`, read from argv directly: the standard library's getter
/// instantiates generic metadata on its first use (about 0.1 ms of every process; issue 16).
func commandLineArguments() -> [String] {
  var arguments: [String] = []
  for index in 1..<max(1, Int(CommandLine.argc)) {
    arguments.append(CommandLine.unsafeArgv[index].map { String(cString: $0) } ?? "")
  }
  return arguments
}

/// An error of the command line itself, with its exit status.
struct CLIError: Error, CustomStringConvertible {
  var description: String
  var exitCode: Int32 = 1
}

func printError(_ message: String) {
  var stream = StandardError()
  print(message, to: &stream)
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) {
    POSIXFile.writeAll(Array(string.utf8), to: STDERR_FILENO)
  }

  /// Replaces the terminal's current line with `status` (an empty status clears it).
  static func progress(_ status: String) {
    var stream = StandardError()
    stream.write("\r\u{1B}[K" + status)
  }
}

/// Whether stderr is an interactive terminal (for the progress bar).
var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

