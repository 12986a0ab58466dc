package dev.herd.supervisor.admin;

import java.util.concurrent.CompletableFuture;

/**
 * Where the admin channel hands valid requests: the master. {@link #submit} is called on the admin thread and must
 * only hand the request on (the master puts it on its loop's queue) and return; the master completes
 * {@code reply} on its own thread, when the command's work is done.
 */
@FunctionalInterface
public interface AdminHandler {
    void submit(AdminRequest request, CompletableFuture<AdminReply> reply);
}
