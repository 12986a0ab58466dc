package com.example.quickstart;

import io.helidon.config.Config;
import io.helidon.logging.common.LogConfig;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;

/** The quickstart's main: configuration from application.yaml, one route. */
public class Main {

    private Main() {
    }

    public static void main(String[] args) {
        LogConfig.configureRuntime();
        Config config = Config.create();
        Config.global(config);

        WebServer server = WebServer.builder()
                .config(config.get("server"))
                .routing(Main::routing)
                .build()
                .start();

        System.out.println("WEB server is up! http://localhost:" + server.port() + "/hello");
    }

    static void routing(HttpRouting.Builder routing) {
        routing.get("/hello", (req, res) -> res.send("Hello from Helidon SE"));
    }
}
