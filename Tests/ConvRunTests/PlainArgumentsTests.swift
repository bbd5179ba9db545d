import ArgumentParser
import Testing

@testable import convrun

/// `RunJob.plain` reads the plain run without swift-argument-parser (issue 16); it must read every form
/// it takes exactly as the library does, and leave every other form to the library.
@Suite("Reading a plain run without the argument parser")
struct PlainArgumentsTests {
  @Test(
    "the forms it reads give the library's command",
    arguments: [
      ["model.c1d", "input.npy"],
      ["model.c1d", "a.npy", "b.wav", "-o", "out/", "--threads", "2", "--json"],
      ["model.c1d", "-o", "out.npy", "input.npy"],
      ["model.c1d", "input.npy", "--output", "out.wav", "--force"],
      ["model.c1d", "input.npy", "--output=out.npy", "--threads=3"],
      ["model.c1d", "-", "-o", "-"],
      ["model.c1d", "input.npy", "--threads", "+2"],
      ["model.c1d", "input.npy", "--json", "--force", "--threads", "1"],
      ["model.c1d", "input.npy", "--timings"],
      ["model.c1d", "a.npy", "b.npy", "--timings", "--json", "-o", "out/"],
    ])
  func sameAsLibrary(arguments: [String]) throws {
    let plain = try #require(RunJob.plain(arguments))
    let library = try #require(try RunCommand.parseAsRoot(arguments) as? RunCommand)
    #expect(plain == library.job)
  }

  @Test(
    "every other form is left to the library",
    arguments: [
      ["model.c1d"], ["model.c1d", "input", "--threads", "0"], ["model.c1d", "input", "--threads", "-1"],
      ["model.c1d", "input", "--threads", "two"], ["model.c1d", "input", "--threads"],
      ["model.c1d", "input", "-o"], ["model.c1d", "input", "-o", "--json"], ["model.c1d", "input", "-oout.npy"],
      ["model.c1d", "input", "-o", "a", "-o", "b"], ["model.c1d", "input", "--json", "--json"],
      ["model.c1d", "input", "--json=yes"], ["model.c1d", "input", "--shape", "1,2,3"],
      ["model.c1d", "input", "--timings", "--timings"], ["model.c1d", "input", "--timings=yes"],
      ["model.c1d", "input", "--output-format", "npy"], ["model.c1d", "input", "--memory-limit", "1G"],
      ["model.c1d", "input", "--allow-nonfinite"], ["model.c1d", "input", "--help"], ["model.c1d", "input", "-h"],
      ["model.c1d", "input", "--version"], ["model.c1d", "--", "-input"], ["model.c1d", "-x"],
      ["model.c1d", "-", "-"], ["model.c1d", "input", "-o", ""], [],
    ])
  func leftToLibrary(arguments: [String]) {
    #expect(RunJob.plain(arguments) == nil)
  }

  @Test(
    "the library's command becomes the same job, every option carried over",
    arguments: [
      (["m.c1d", "a.npy", "--shape", "1,2,3", "--allow-nonfinite", "--ignore-sample-rate", "--memory-limit", "1K"],
       RunJob(model: "m.c1d", inputs: ["a.npy"], input: InputSettings(shape: "1,2,3", allowNonfinite: true, ignoreSampleRate: true),
              runtime: RuntimeSettings(threads: nil, memoryLimit: 1024))),
      (["m.c1d", "a.npy", "b.npy", "-o", "out/", "--output-format", "raw", "--force", "--json", "--threads", "3"],
       RunJob(model: "m.c1d", inputs: ["a.npy", "b.npy"], output: "out/", outputFormat: .raw, force: true, json: true,
              runtime: RuntimeSettings(threads: 3, memoryLimit: nil))),
      (["m.c1d", "a.npy", "--timings"], RunJob(model: "m.c1d", inputs: ["a.npy"], timings: true)),
    ])
  func libraryJob(arguments: [String], expected: RunJob) throws {
    let library = try #require(try RunCommand.parseAsRoot(arguments) as? RunCommand)
    #expect(library.job == expected)
  }
}
