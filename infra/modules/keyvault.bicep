// Key Vault (RBAC only, soft delete, purge protection) holding the secrets app settings reference.

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Key Vault name (3-24 letters, digits and hyphens).')
param name string

@description('Days a deleted vault or secret can be recovered.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('default creates the vault; recover brings back the soft-deleted vault of the same name (after `azd down`) with its secrets.')
@allowed([
  'default'
  'recover'
])
param createMode string = 'default'

@description('true: write actionLinkKey as the action-link-key secret (the first provision only). false: leave the stored key alone.')
param createActionLinkKey bool = false

@description('Seed of the action-link key to create (createActionLinkKey only): azd\'s secretOrRandomPassword.')
@secure()
param actionLinkKey string

@description('Client secret of the Microsoft Graph app registration (graphAuth = secret). Empty: set it in the vault yourself.')
@secure()
param graphClientSecret string = ''

@description('Client secret of a SingleTenant bot registration. Empty: set it in the vault yourself (or use UserAssignedMSI).')
@secure()
param botAppPassword string = ''

@description('SMTP password. Empty: set it in the vault yourself, or send without SMTP authentication.')
@secure()
param smtpPassword string = ''

@description('Token of the follow-up tracker (Azure DevOps or GitHub). Empty: set it in the vault yourself.')
@secure()
param trackerToken string = ''

// The app wants the action-link key as at least 32 bytes in hex. A random password is hashed into 64 hex digits (two
// name-based GUIDs); a key read back from the vault, already 64 digits, is kept as it is.
var derivedActionLinkKey = '${replace(guid(actionLinkKey, 'action-link-key-1'), '-', '')}${replace(guid(actionLinkKey, 'action-link-key-2'), '-', '')}'
var actionLinkKeyHex = length(actionLinkKey) == 64 ? actionLinkKey : derivedActionLinkKey

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // checkov:skip=CKV_AZURE_109: without a virtual network the Functions platform resolves Key Vault references over the public endpoint; access is RBAC-only
    // checkov:skip=CKV_AZURE_189: as above: public endpoint, every read needs an Entra token and the Key Vault Secrets User role
    createMode: createMode
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }
}

// Created once, never rewritten by a later deployment: a re-provision that cannot read the vault cannot replace the
// key either, so links already sent keep working. Rotation is a deliberate step (docs/deployment.md).
resource actionLinkKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (createActionLinkKey) {
  parent: vault
  name: 'action-link-key'
  properties: {
    // checkov:skip=CKV_AZURE_41: an expired action-link key would break every email link mid-incident; rotation is a documented procedure
    // checkov:skip=CKV_AZURE_114: contentType is set below; Checkov does not read the properties of a conditional (if) resource
    value: actionLinkKeyHex
    contentType: 'text/plain'
  }
}

resource graphClientSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(graphClientSecret)) {
  parent: vault
  name: 'graph-client-secret'
  properties: {
    // checkov:skip=CKV_AZURE_41: the Graph secret's lifetime is set on its app registration, which rejects it when it ends
    // checkov:skip=CKV_AZURE_114: contentType is set below; Checkov does not read the properties of a conditional (if) resource
    value: graphClientSecret
    contentType: 'text/plain'
  }
}

resource botAppPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(botAppPassword)) {
  parent: vault
  name: 'bot-app-password'
  properties: {
    // checkov:skip=CKV_AZURE_41: the bot secret's lifetime is set on its app registration, which rejects it when it ends
    // checkov:skip=CKV_AZURE_114: contentType is set below; Checkov does not read the properties of a conditional (if) resource
    value: botAppPassword
    contentType: 'text/plain'
  }
}

resource smtpPasswordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smtpPassword)) {
  parent: vault
  name: 'smtp-password'
  properties: {
    // checkov:skip=CKV_AZURE_41: the SMTP password's lifetime is the mail server's to enforce
    // checkov:skip=CKV_AZURE_114: contentType is set below; Checkov does not read the properties of a conditional (if) resource
    value: smtpPassword
    contentType: 'text/plain'
  }
}

resource trackerTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(trackerToken)) {
  parent: vault
  name: 'tracker-token'
  properties: {
    // checkov:skip=CKV_AZURE_41: the token's lifetime is set where it is issued (Azure DevOps or GitHub)
    // checkov:skip=CKV_AZURE_114: contentType is set below; Checkov does not read the properties of a conditional (if) resource
    value: trackerToken
    contentType: 'text/plain'
  }
}

output name string = vault.name
output id string = vault.id
output uri string = vault.properties.vaultUri
