package dev.herd.supervisor.admin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.util.Arrays;
import java.util.Optional;
import jdk.net.UnixDomainPrincipal;

/**
 * Who may use the admin socket: the user the master runs as, root, and, with {@code adminGroup}, the members of
 * that group (as their primary group, from SO_PEERCRED, or as a listed member in /etc/group). Users and groups are
 * compared by their numeric ids: the JDK's principals are equal when their uid (gid) is, whatever name lookup
 * gave or failed to give (a uid without a passwd entry, or a lookup failing at the descriptor limit).
 */
final class PeerPolicy {

    private final UserPrincipal ownUser;
    private final Optional<UserPrincipal> root;
    private final Optional<GroupPrincipal> adminGroup;

    /**
     * @param ownUser    a principal for the master's effective uid (the owner of a file it created)
     * @param root       a principal for uid 0, when one could be looked up
     * @param adminGroup the admin group, if configured
     */
    PeerPolicy(UserPrincipal ownUser, Optional<UserPrincipal> root, Optional<GroupPrincipal> adminGroup) {
        this.ownUser = ownUser;
        this.root = root;
        this.adminGroup = adminGroup;
    }

    boolean mayControl(UnixDomainPrincipal peer) {
        return peer.user().equals(ownUser) || root.filter(peer.user()::equals).isPresent()
                || adminGroup.filter(group -> group.equals(peer.group())
                        || listedMember(group.getName(), peer.user().getName())).isPresent();
    }

    String describe() {
        boolean ownIsRoot = root.filter(ownUser::equals).isPresent();
        return "only " + (ownIsRoot ? "root" : ownUser.getName() + ", root") + adminGroup.map(g -> " and members of "
                + "group " + g.getName()).orElse("") + " may control this master";
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
