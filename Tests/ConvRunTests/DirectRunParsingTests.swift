import Testing

@testable import convrun

/// `convrun MODEL INPUT …` skips the root command's parse (issue 16); everything else must still reach it.
@Suite("Parsing a plain run directly")
struct DirectRunParsingTests {
  @Test("a plain run is read without the library, with its options")
  func plainRun() throws {
    let job = try #require(ConvRun.plainRun(["model.c1d", "a.npy", "b.wav", "-o", "out/", "--threads", "2", "--json"]))
    #expect(job.model == "model.c1d" && job.inputs == ["a.npy", "b.wav"])
    #expect(job.output == "out/" && job.json && job.runtime.threads == 2)
  }

  @Test("a run with other options parses as the run subcommand alone")
  func otherRun() throws {
    let arguments = ["model.c1d", "a.npy", "--shape", "1,2,3"]
    #expect(ConvRun.plainRun(arguments) == nil)
    let run = try #require(ConvRun.parseRunDirectly(arguments) as? RunCommand)
    #expect(run.job.input.shape == "1,2,3")
  }

  @Test(
    "subcommands, help, version and mistakes go through the root",
    arguments: [
      ["inspect", "model.c1d"], ["help"], ["--help"], ["--version"], ["model.c1d", "input", "--version"],
      ["model.c1d", "input", "--help"], ["model.c1d"], ["model.c1d", "input", "--threads", "0"],
      ["model.c1d", "input", "--no-such-flag"], ["-", "model.c1d"], [],
    ])
  func root(arguments: [String]) {
    #expect(ConvRun.plainRun(arguments) == nil)
    #expect(ConvRun.parseRunDirectly(arguments) == nil)
  }

  @Test("the plain run's list of subcommand names is the root's")
  func subcommandNames() {
    #expect(Set(ConvRun.subcommandNames) == Set(ConvRun.configuration.subcommands.map { $0._commandName }))
  }
}
