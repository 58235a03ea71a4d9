package dev.tugboat.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tugboat.testing.RegistryFixture;
import dev.tugboat.testing.TestImages;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code tugboat copy}: the job engine as a one-shot command against real registries. */
class CopyCommandTest {

  static int run(StringWriter err, String... args) throws Exception {
    Class<?> main = Class.forName("dev.tugboat.Main");
    var factory = main.getDeclaredMethod("commandLine");
    factory.setAccessible(true);
    CommandLine cli = (CommandLine) factory.invoke(null);
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    return cli.execute(args);
  }

  @Test
  void copiesAMultiArchImageToTwoRegistriesWithCredentials() throws Exception {
    Path dir = Files.createTempDirectory("copy-cli-");
    try (RegistryFixture source = RegistryFixture.builder().htpasswd("ann", "pw-1").start();
         RegistryFixture a = RegistryFixture.start(); RegistryFixture b = RegistryFixture.start()) {
      TestImages.Layout multi = TestImages.multiPlatform(dir.resolve("m"), "v3", List.of(100_000L));
      TestImages.push(multi, source, "cli/app", "v3", "ann:pw-1");

      StringWriter err = new StringWriter();
      int code = run(err, "copy", "docker://" + source.host() + "/cli/app:v3", a.host() + "/cli/app:v3",
          b.host() + "/mirror/app:stable", "--src-creds", "ann:pw-1");
      assertThat(code).as(err.toString()).isZero();
      assertThat(err.toString()).contains("FINISHED").doesNotContain("pw-1");
      assertThat(TestImages.headManifest(a.baseUrl(), "cli/app", "v3", null)).contains(multi.digest());
      assertThat(TestImages.headManifest(b.baseUrl(), "mirror/app", "stable", null)).contains(multi.digest());

      StringWriter refused = new StringWriter();
      assertThat(run(refused, "copy", source.host() + "/cli/app:v3", a.host() + "/cli/other:v3")).isNotZero();
      assertThat(refused.toString()).contains("401");
      assertThat(run(new StringWriter(), "copy", a.host() + "/cli/absent:v1", b.host() + "/cli/absent:v1")).isNotZero();
    }
  }
}
