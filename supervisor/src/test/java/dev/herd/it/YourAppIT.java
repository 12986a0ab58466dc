package dev.herd.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The built-in HTTP app, and docs/your-app.md followed as written: a user's own Jetty app built and run under herd. */
class YourAppIT {

    private static final Duration START = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theHttpAppAnswersWithItsSlotAndPidOverKeepAlive() throws Exception {
        try (HerdProcess herd = HerdProcess.run("--workers", "2", "--app", "http")) {
            Map<Integer, Long> workers = herd.awaitWorkersAccepting(2, START);
            int port = herd.port();
            Set<String> bodies = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> response = get(port, "/");
                assertEquals(200, response.statusCode());
                assertTrue(response.body().matches("hello from herd worker-\\d \\(pid \\d+\\)\n"), response.body());
                bodies.add(response.body());
            }
            for (String body : bodies) {
                assertTrue(workers.entrySet().stream().anyMatch(w -> body.equals(
                        "hello from herd worker-" + w.getKey() + " (pid " + w.getValue() + ")\n")), body);
            }
            assertEquals(404, get(port, "/nope").statusCode());
            // Keep-alive: two requests on one connection get two answers, the first without "Connection: close".
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                socket.setSoTimeout(30_000);
                String request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
                socket.getOutputStream().write((request + request).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII));
                for (int response = 1; response <= 2; response++) {
                    assertEquals("HTTP/1.1 200 OK", in.readLine(), "response " + response);
                    int length = -1;
                    for (String header; !(header = in.readLine()).isEmpty(); ) {
                        assertTrue(!header.equalsIgnoreCase("Connection: close"), "closed after one request");
                        if (header.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(header.substring(15).trim());
                        }
                    }
                    char[] body = new char[length];
                    assertEquals(length, in.read(body, 0, length));
                    assertTrue(new String(body).startsWith("hello from herd worker-"), new String(body));
                }
            }
            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            // The JVM's warnings (jnr on JDK 24+ without the native-access flags, a missing slf4j provider) would
            // land in every worker's log: none may.
            assertTrue(herd.lines().stream().noneMatch(line -> line.contains("WARNING") || line.contains("SLF4J")),
                    herd.output());
            for (long pid : workers.values()) {
                assertTrue(herd.hasLine("worker-\\d \\(pid " + pid + "\\) exited: exit 0"), herd.output());
            }
        }
    }

    /**
     * docs/your-app.md's steps as they are written there: its build commands in a copy of the checkout, with an empty
     * local Maven repository (a fresh home whose settings mirror this build's repository, so nothing is fetched
     * twice, and nothing of herd's is there before the steps install it) and a temporary folder for /opt/hello; then
     * its configuration (on a free loopback port), run by bin/herd.
     */
    @Test
    void theGuidesStepsBuildAndRunTheExampleFromACleanLocalRepository() throws Exception {
        String guide = Files.readString(HerdProcess.HOME.resolve("docs/your-app.md"));
        Path opt = dir.resolve("opt/hello");
        String build = block(guide, "## Build and run the example", "```sh").replace("/opt/hello", opt.toString());
        String config = block(guide, "## Configuration", "```json").replace("/opt/hello", opt.toString())
                .replace("0.0.0.0:8080", "127.0.0.1:0");

        Path checkout = dir.resolve("checkout");
        copyCheckout(checkout);
        Path home = dir.resolve("home");
        Files.createDirectories(home.resolve(".m2"));
        Path outerRepository = Path.of(System.getProperty("herd.mavenRepository",
                System.getProperty("user.home") + "/.m2/repository"));
        Files.writeString(home.resolve(".m2/settings.xml"), "<settings><mirrors><mirror><id>this-build</id>"
                + "<mirrorOf>*</mirrorOf><url>" + outerRepository.toUri() + "</url></mirror></mirrors></settings>\n");
        // Maven finds ~/.m2 through Java's user.home, which comes from the passwd entry, not from $HOME.
        Cli.Result built = Cli.runIn(checkout, Map.of("HOME", home.toString(), "MAVEN_OPTS", "-Duser.home=" + home,
                "JAVA_HOME", System.getProperty("java.home")), Duration.ofMinutes(5), "bash", "-euo", "pipefail", "-c",
                build);
        assertEquals(0, built.exitCode(), build + "\n" + built);
        assertTrue(Files.isRegularFile(home.resolve(
                ".m2/repository/dev/herd/herd-worker-api/0.1.0/herd-worker-api-0.1.0.jar")), "installed by the steps");
        assertTrue(Files.isRegularFile(opt.resolve("herd-example-app-0.1.0.jar")), built.toString());
        assertTrue(Files.isRegularFile(opt.resolve("lib/slf4j-nop-2.0.17.jar")), built.toString());

        Path file = dir.resolve("hello.json");
        Files.writeString(file, config);
        Path socket = dir.resolve("run/herd.sock");
        try (HerdProcess herd = HerdProcess.start(List.of("run", "-c", file.toString(), "--admin-socket",
                socket.toString()), Map.of())) {
            int port = herd.port();
            Poll.until(START, "four ready example workers", () -> {
                Cli.Result status = Cli.herd("status", "--json", "--admin-socket", socket.toString());
                return status.exitCode() == 0 && status.stdout().contains("\"readyWorkers\":4");
            });
            HttpResponse<String> response = get(port, "/");
            assertEquals(200, response.statusCode());
            assertTrue(response.body().matches("hello from example worker-[1-4]\n"), response.body());

            herd.signal("TERM");
            assertEquals(0, herd.awaitExit(START));
            assertEquals(4, herd.lines().stream().filter(l -> l.matches(".*worker-\\d \\(pid \\d+\\) exited: exit 0"))
                    .count(), herd.output());
            assertTrue(herd.lines().stream().noneMatch(line -> line.contains(" WARN ") || line.contains("SLF4J")),
                    herd.output());
        }
    }

    /** The first block of {@code fence} (e.g. ```sh) after {@code heading}, without its fences. */
    private static String block(String markdown, String heading, String fence) {
        int at = markdown.indexOf(heading);
        assertTrue(at >= 0, heading + " in docs/your-app.md");
        int start = markdown.indexOf(fence + "\n", at);
        assertTrue(start >= 0, fence + " after " + heading);
        start += fence.length() + 1;
        return markdown.substring(start, markdown.indexOf("```", start));
    }

    /** What the steps need of the checkout: every module's pom, and the sources of worker-api and the example. */
    private static void copyCheckout(Path target) throws IOException {
        Path source = HerdProcess.HOME;
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) {
                String name = directory.getFileName().toString();
                return name.equals("target") || name.equals(".git") ? FileVisitResult.SKIP_SUBTREE
                        : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                String relative = source.relativize(file).toString();
                if (file.getFileName().toString().equals("pom.xml") || relative.startsWith("worker-api/src/main/")
                        || relative.startsWith("docs/example-app/src/main/")) {
                    Files.createDirectories(target.resolve(relative).getParent());
                    Files.copy(file, target.resolve(relative));
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
