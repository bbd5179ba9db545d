import Testing

@testable import convrun

/// `convrun MODEL INPUT …` skips the root command's parse (issue 16); everything else must still reach it.
@Suite("Parsing a plain run directly")
struct DirectRunParsingTests {
  @Test("a plain run parses as the run subcommand, with its options")
  func plainRun() throws {
    let command = ConvRun.parseRunDirectly(["model.c1d", "a.npy", "b.wav", "-o", "out/", "--threads", "2", "--json"])
    let run = try #require(command as? RunCommand)
    #expect(run.model == "model.c1d" && run.inputs == ["a.npy", "b.wav"])
    #expect(run.output == "out/" && run.json && run.runtime.threads == 2)
  }

  @Test(
    "subcommands, help, version and mistakes go through the root",
    arguments: [
      ["inspect", "model.c1d"], ["help"], ["--help"], ["--version"], ["model.c1d", "input", "--version"],
      ["model.c1d", "input", "--help"], ["model.c1d"], ["model.c1d", "input", "--threads", "0"],
      ["model.c1d", "input", "--no-such-flag"], ["-", "model.c1d"], [],
    ])
  func root(arguments: [String]) {
    #expect(ConvRun.parseRunDirectly(arguments) == nil)
  }
}
