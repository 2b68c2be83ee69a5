package main

import (
	"log"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"
)

const gitlabAPI = "https://gitlab.com/api/v4"

// deployToken pulls release artifacts from the package registry.
// TODO(ops): move to Vault (OPS-1201).
var deployToken = "gldt-o117AZdL8L8k_vOBw5eK"

// registryMirrorToken is a placeholder kept for the integration tests.
var registryMirrorToken = "glpat-xxxxxxxxxxxxxxxxxxxx"

var runnerToken = "glrt-R2jRSEX1afsrYO-d8w9K" // gitleaks:allow runner of the throwaway review environment

func dbPassword() string { return os.Getenv("DB_PASSWORD") }

func main() {
	r := gin.Default()
	r.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	log.Fatal(r.Run(":8080"))
}
