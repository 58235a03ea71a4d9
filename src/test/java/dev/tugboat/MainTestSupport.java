package dev.tugboat;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs the real command line in-process and captures what it prints, for tests of any package. */
public final class MainTestSupport {
  public record Run(int code, String out, String err) {}

  private MainTestSupport() {}

  /** The keys {@code server}'s convenience flags ({@code --port}, {@code --cluster}, ...) stand for. */
  public static java.util.Map<String, String> serverFlags(String... args) {
    CommandLine.ParseResult parsed = Main.commandLine().parseArgs(args);
    return ((Main.ServerCommand) parsed.subcommand().commandSpec().userObject()).flags();
  }

  public static Run run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    cli.getOut().flush();
    cli.getErr().flush();
    return new Run(code, out.toString(), err.toString());
  }
}
