import ArgumentParser
import C1D

@main
struct ConvRun: ParsableCommand {
  static let configuration = CommandConfiguration(commandName: "convrun", abstract: "Run and inspect .c1d conv1d models.")
}
