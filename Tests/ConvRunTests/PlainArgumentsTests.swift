import ArgumentParser
import Testing

@testable import convrun

/// `RunCommand.plain` reads the plain run without swift-argument-parser (issue 16); it must read every
/// form it takes exactly as the library does, and leave every other form to the library.
@Suite("Reading a plain run without the argument parser")
struct PlainArgumentsTests {
  /// Every property of a run command, read through its wrappers (a wrapper left unset traps here).
  static func fields(_ command: RunCommand) -> [String] {
    [
      command.model, "\(command.inputs)", "\(command.output as Any)", "\(command.outputFormat as Any)",
      "\(command.force)", "\(command.json)", "\(command.inputOptions.shape as Any)",
      "\(command.inputOptions.allowNonfinite)", "\(command.inputOptions.ignoreSampleRate)",
      "\(command.runtime.threads as Any)", "\(command.runtime.memoryLimit?.bytes as Any)",
    ]
  }

  /// Whether a property-wrapper value (or a value holding wrappers) holds parsed values all the way down,
  /// rather than the definition an unparsed wrapper holds: a property added to the command and left unset
  /// by `plain` would trap when `run` reads it.
  static func unsetProperties(of value: Any, path: String = "") -> [String] {
    Mirror(reflecting: value).children.flatMap { child -> [String] in
      let name = path + (child.label ?? "?")
      if child.label == "_parsedValue" {
        let text = String(describing: child.value)
        guard text.hasPrefix("value(") else { return [name] }
        return Mirror(reflecting: child.value).children.flatMap { unsetProperties(of: $0.value, path: name + ".") }
      }
      return unsetProperties(of: child.value, path: name + ".")
    }
  }

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
    ])
  func sameAsLibrary(arguments: [String]) throws {
    let plain = try #require(RunCommand.plain(arguments))
    let library = try #require(try RunCommand.parseAsRoot(arguments) as? RunCommand)
    // Checked first: reading an unset property traps.
    try #require(Self.unsetProperties(of: plain).isEmpty, "left unset: \(Self.unsetProperties(of: plain))")
    #expect(Self.fields(plain) == Self.fields(library))
  }

  @Test(
    "every other form is left to the library",
    arguments: [
      ["model.c1d"], ["model.c1d", "input", "--threads", "0"], ["model.c1d", "input", "--threads", "-1"],
      ["model.c1d", "input", "--threads", "two"], ["model.c1d", "input", "--threads"],
      ["model.c1d", "input", "-o"], ["model.c1d", "input", "-o", "--json"], ["model.c1d", "input", "-oout.npy"],
      ["model.c1d", "input", "-o", "a", "-o", "b"], ["model.c1d", "input", "--json", "--json"],
      ["model.c1d", "input", "--json=yes"], ["model.c1d", "input", "--shape", "1,2,3"],
      ["model.c1d", "input", "--output-format", "npy"], ["model.c1d", "input", "--memory-limit", "1G"],
      ["model.c1d", "input", "--allow-nonfinite"], ["model.c1d", "input", "--help"], ["model.c1d", "input", "-h"],
      ["model.c1d", "input", "--version"], ["model.c1d", "--", "-input"], ["model.c1d", "-x"],
      ["model.c1d", "-", "-"], ["model.c1d", "input", "-o", ""], [],
    ])
  func leftToLibrary(arguments: [String]) {
    #expect(RunCommand.plain(arguments) == nil)
  }

  @Test("the test's own check sees a property the library left unset")
  func unsetPropertyIsSeen() {
    #expect(!Self.unsetProperties(of: RunCommand()).isEmpty)
  }
}
