package dev.herd.supervisor.admin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Who may use the admin socket: the user the master runs as, root, and, with {@code adminGroup}, the members of
 * that group (as their primary group, from SO_PEERCRED, or as a listed member in /etc/group).
 */
final class PeerPolicy {

    private static final String OWN_USER = System.getProperty("user.name");
    private final Optional<String> adminGroup;

    PeerPolicy(Optional<String> adminGroup) {
        this.adminGroup = adminGroup;
    }

    boolean mayControl(String user, String primaryGroup) {
        return user.equals(OWN_USER) || user.equals("root")
                || adminGroup.filter(group -> group.equals(primaryGroup) || listedMember(group, user)).isPresent();
    }

    String describe() {
        return "only " + OWN_USER + ", root" + adminGroup.map(g -> " and members of group " + g).orElse("")
                + " may control this master";
    }

    /** Read on every check: a membership change takes effect without restarting herd. */
    private static boolean listedMember(String group, String user) {
        try {
            return Files.readAllLines(Path.of("/etc/group")).stream()
                    .map(line -> line.split(":", -1))
                    .filter(fields -> fields.length >= 4 && fields[0].equals(group))
                    .anyMatch(fields -> Arrays.asList(fields[3].split(",")).contains(user));
        } catch (IOException e) {
            return false; // no /etc/group: only primary groups count
        }
    }
}
