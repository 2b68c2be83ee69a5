// Front-end configuration. Everything here is shipped to browsers.
export const firebaseConfig = {
  apiKey: "AIzajhV4yItjhCulPVDaWpreO7wfpyisb1CYMCO",
  authDomain: "acme-storefront.firebaseapp.com",
  projectId: "acme-storefront",
  appId: "1:414594454786:web:3273de2417b9268f962f14",
};

// Publishable keys are public by design.
export const stripePublishableKey = "pk_live_IgDyhZsSpNrKEj0xbko84lPoBcnKGgWYsQQixs3SUgycjEH1xLEUPAE91LMDLn533hFsB5OXDBkniSUGlz6GqxQ6Ab3OQWyUXrK";

export const apiBaseUrl = process.env.API_BASE_URL;
export const apiToken = process.env.API_TOKEN;
