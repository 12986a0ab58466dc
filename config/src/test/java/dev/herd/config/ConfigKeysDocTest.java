package dev.herd.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's table of configuration keys is {@link ConfigKeys#markdownRows()}, row for row: a key added, a
 * default or a limit changed in the table of keys fails here until the README says the same. To update it, paste
 * the rows this test prints in its failure message.
 */
class ConfigKeysDocTest {

    private static final String CONFIG_ROW = "| `-c`, `--config FILE` |";

    @Test
    void theReadmeListsEveryKeyAsTheTableOfKeysDefinesIt() throws IOException {
        List<String> readme = Files.readAllLines(Path.of("..", "README.md"));
        int first = readme.stream().filter(line -> line.startsWith(CONFIG_ROW)).findFirst().map(readme::indexOf)
                .orElseThrow(() -> new AssertionError("README.md has no row starting with " + CONFIG_ROW)) + 1;
        int end = first;
        while (end < readme.size() && readme.get(end).startsWith("|")) {
            end++;
        }
        String documented = String.join("\n", readme.subList(first, end)) + "\n";
        assertTrue(end > first, "no key rows after the --config row");
        assertEquals(ConfigKeys.markdownRows(), documented, "README.md's key table differs; the rows should be:\n"
                + ConfigKeys.markdownRows());
    }
}
