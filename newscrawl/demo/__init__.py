"""The offline demo news site: fictional outlets, feeds, sitemaps and fake search APIs."""
