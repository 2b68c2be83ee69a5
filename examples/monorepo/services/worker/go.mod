module gitlab.com/acme/storefront/services/worker

go 1.19

require (
	github.com/gin-gonic/gin v1.6.2
	github.com/go-redis/redis/v8 v8.4.4
	golang.org/x/crypto v0.0.0-20200220183623-bac4c82f6975
	golang.org/x/net v0.0.0-20200226121028-0de0cce0169b
	gopkg.in/yaml.v2 v2.2.7
)
