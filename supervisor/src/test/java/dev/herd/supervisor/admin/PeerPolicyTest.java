package dev.herd.supervisor.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.Optional;
import jdk.net.UnixDomainPrincipal;
import org.junit.jupiter.api.Test;

/**
 * Who may use the admin socket. Principals compare by uid and gid, so a master running as a uid without a passwd
 * entry controls itself, and root by number is root.
 */
class PeerPolicyTest {

    private static final UserPrincipalLookupService LOOKUP = FileSystems.getDefault().getUserPrincipalLookupService();

    @Test
    void theMastersOwnUidMayControlItEvenWithoutAPasswdEntry() throws IOException {
        PeerPolicy policy = new PeerPolicy(user("54321"), Optional.of(user("root")), Optional.empty());

        assertTrue(policy.mayControl(peer(user("54321"), group("54321"))));
        assertFalse(policy.mayControl(peer(user("54322"), group("54321"))), "another uid in the same group");
        assertEquals("only 54321, root may control this master", policy.describe());
    }

    @Test
    void rootMayAlwaysAndIsRootByNumberToo() throws IOException {
        PeerPolicy policy = new PeerPolicy(user("54321"), Optional.of(user("root")), Optional.empty());

        assertTrue(policy.mayControl(peer(user("root"), group("root"))));
        assertTrue(policy.mayControl(peer(user("0"), group("0"))));
    }

    @Test
    void aMasterRunningAsRootNamesOnlyRoot() throws IOException {
        PeerPolicy policy = new PeerPolicy(user("0"), Optional.of(user("root")), Optional.empty());

        assertEquals("only root may control this master", policy.describe());
        assertFalse(policy.mayControl(peer(user("54321"), group("54321"))));
    }

    @Test
    void membersOfTheAdminGroupMayByPrimaryGroupOrListedMembership() throws IOException {
        PeerPolicy policy = new PeerPolicy(user("0"), Optional.of(user("root")), Optional.of(group("ssl-cert")));

        assertTrue(policy.mayControl(peer(user("54321"), group("ssl-cert"))), "primary group");
        assertTrue(policy.mayControl(peer(user("postgres"), group("postgres"))), "listed in /etc/group");
        assertFalse(policy.mayControl(peer(user("54321"), group("54321"))));
        assertEquals("only root and members of group ssl-cert may control this master", policy.describe());
    }

    private static UserPrincipal user(String name) throws IOException {
        return LOOKUP.lookupPrincipalByName(name);
    }

    private static GroupPrincipal group(String name) throws IOException {
        return LOOKUP.lookupPrincipalByGroupName(name);
    }

    private static UnixDomainPrincipal peer(UserPrincipal user, GroupPrincipal group) {
        return new UnixDomainPrincipal(user, group);
    }
}
